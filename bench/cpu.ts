/**
 * CPU time of the processes a load test involves, so a latency figure can be read with where the time went: the
 * gateway with the handlers, DynamoDB Local (the JVM, all threads), and the bench itself (the load generator).
 * Linux only (`/proc/<pid>/stat`); elsewhere the figures are absent and the bench prints `–`.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const ticksPerSecond = (() => {
  if (process.platform !== 'linux') return undefined;
  try {
    const n = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isFinite(n) && n > 0 ? n : 100;
  } catch {
    return 100;
  }
})();

/** User + system CPU time of `pid` so far, in ms; `undefined` where it cannot be read. */
export function processCpuMs(pid: number): number | undefined {
  if (ticksPerSecond === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at field 3; utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) / ticksPerSecond) * 1000;
  } catch {
    return undefined;
  }
}

export interface CpuSnapshot {
  readonly [name: string]: number | undefined;
}

/** Reads the CPU time of named processes; `self` uses `process.cpuUsage()` (finer than clock ticks). */
export function cpuSnapshot(pids: Readonly<Record<string, number | undefined>>): CpuSnapshot {
  const out: Record<string, number | undefined> = {};
  for (const [name, pid] of Object.entries(pids)) {
    if (pid === process.pid) {
      const u = process.cpuUsage();
      out[name] = (u.user + u.system) / 1000;
    } else out[name] = pid === undefined ? undefined : processCpuMs(pid);
  }
  return out;
}

/** CPU ms spent by each process between two snapshots. */
export function cpuDelta(before: CpuSnapshot, after: CpuSnapshot): CpuSnapshot {
  const out: Record<string, number | undefined> = {};
  for (const name of Object.keys(after)) {
    const a = after[name];
    const b = before[name];
    out[name] = a === undefined || b === undefined ? undefined : a - b;
  }
  return out;
}
