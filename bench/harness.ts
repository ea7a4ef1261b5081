/**
 * A small timing harness: warm up, then run every scenario for several rounds *interleaved* (round 1 of each,
 * round 2 of each, …) so a noisy neighbour, a GC pause or CPU frequency drift lands on all rows alike, and report
 * each scenario's median round. Nothing here decides pass or fail on time: it only prints.
 */
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { textTable } from './report.ts';

/**
 * A full GC before every round, so a round does not pay for the garbage the scenario before it left (MailComposer
 * leaves a lot). Each round still pays for its own allocations, as the service would. `--expose-gc` is switched on
 * at run time because `npm run bench` starts plain `node`; where that is refused, rounds run without it.
 */
const collectGarbage: (() => void) | undefined = (() => {
  try {
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as () => void;
  } catch {
    return undefined;
  }
})();

export const gcBetweenRounds = collectGarbage !== undefined;

export interface Scenario {
  readonly name: string;
  /** How many recipients one round handles; the per-recipient figures divide by this. */
  readonly recipients: number;
  /** Mails a round produces and recipients it holds, when the scenario decides; shown so throughput is read honestly. */
  readonly sent?: number;
  readonly held?: number;
  /**
   * How many times one round goes over the recipients. A step that takes well under a millisecond per pass is
   * repeated so a round is long enough to time; every figure is still per pass (`total ms` = one pass).
   * @default 1
   */
  readonly passes?: number;
  /** Whether every round must return the same checksum (false where the work is random, e.g. MIME boundaries). */
  readonly deterministic: boolean;
  /** One round. Returns a checksum of what it built, so the work cannot be optimized away and can be compared. */
  readonly run: () => number | Promise<number>;
}

export interface Measurement {
  readonly scenario: Scenario;
  /** Each timed round, in ms per pass, in the order they ran. */
  readonly rounds: readonly number[];
  readonly medianMs: number;
  readonly minMs: number;
  readonly maxMs: number;
}

async function timeOnce(s: Scenario): Promise<{ ms: number; checksum: number }> {
  collectGarbage?.();
  const start = performance.now();
  const result = s.run();
  const checksum = result instanceof Promise ? await result : result;
  return { ms: (performance.now() - start) / (s.passes ?? 1), checksum };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export interface MeasureOptions {
  readonly warmupRounds: number;
  readonly rounds: number;
  /**
   * A `performance.now()` by which the timed rounds should be over: no new round starts if the previous one says it
   * would end later, but at least {@link MIN_ROUNDS} always run. Absent: all `rounds` run.
   */
  readonly deadline?: number;
}

/** Fewer rounds than this and the median is just a sample. */
export const MIN_ROUNDS = 3;

/** Warms up, then times interleaved rounds; `rounds` is how many timed rounds actually ran. */
export async function measure(
  scenarios: readonly Scenario[],
  options: MeasureOptions,
): Promise<{ measurements: Measurement[]; rounds: number }> {
  const checksums = new Map<Scenario, number>();
  const check = (s: Scenario, checksum: number) => {
    const first = checksums.get(s);
    if (first === undefined) checksums.set(s, checksum);
    else if (s.deterministic && first !== checksum) {
      throw new Error(`${s.name}: round built something different (checksum ${checksum} vs ${first}); not measuring that`);
    }
  };
  let lastSetMs = 0; // wall time of the last pass over every scenario, warm-up or timed
  for (let w = 0; w < options.warmupRounds; w++) {
    const t = performance.now();
    for (const s of scenarios) check(s, (await timeOnce(s)).checksum);
    lastSetMs = performance.now() - t;
  }

  const times = new Map<Scenario, number[]>(scenarios.map((s) => [s, []]));
  let rounds = 0;
  for (; rounds < options.rounds; rounds++) {
    const t = performance.now();
    if (rounds >= MIN_ROUNDS && options.deadline !== undefined && t + lastSetMs > options.deadline) break;
    for (const s of scenarios) {
      const { ms, checksum } = await timeOnce(s);
      check(s, checksum);
      times.get(s)?.push(ms);
    }
    lastSetMs = performance.now() - t;
  }
  const measurements = scenarios.map((scenario) => {
    const timed = times.get(scenario) ?? [];
    return { scenario, rounds: timed, medianMs: median(timed), minMs: Math.min(...timed), maxMs: Math.max(...timed) };
  });
  return { measurements, rounds };
}

/** Per-recipient figures of a measurement, from its median round. */
export function perRecipient(m: Measurement): { perSecond: number; micros: number } {
  return { perSecond: (m.scenario.recipients / m.medianMs) * 1000, micros: (m.medianMs * 1000) / m.scenario.recipients };
}

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const fixed = (digits: number) => new Intl.NumberFormat('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const one = fixed(1);
const two = fixed(2);
// Two decimals hide the cheap steps (0.00); below 0.1 show two significant digits instead.
const ratio = (r: number) => (r >= 0.1 ? two.format(r) : r.toPrecision(2));

/**
 * The results table as a header and rows of cells. `× baseline` is this row's µs per recipient over the baseline
 * row's: below 1 is cheaper than building the MIME message with the library, above 1 dearer. `spread` is
 * (slowest − fastest round) / median.
 */
export function tableCells(measurements: readonly Measurement[], baseline: Measurement): { header: string[]; rows: string[][] } {
  const base = perRecipient(baseline).micros;
  const header = ['scenario', 'recipients', 'sent', 'held', 'total ms', 'recipients/s', 'µs/recipient', '× baseline', 'spread'];
  const rows = measurements.map((m) => {
    const { perSecond, micros } = perRecipient(m);
    const s = m.scenario;
    return [
      s.name,
      integer.format(s.recipients),
      s.sent === undefined ? '–' : integer.format(s.sent),
      s.held === undefined ? '–' : integer.format(s.held),
      one.format(m.medianMs),
      integer.format(perSecond),
      one.format(micros),
      m === baseline ? '1.00 (base)' : ratio(micros / base),
      `${integer.format(((m.maxMs - m.minMs) / m.medianMs) * 100)}%`,
    ];
  });
  return { header, rows };
}

/** {@link tableCells} as padded text for the console. */
export function formatTable(measurements: readonly Measurement[], baseline: Measurement): string {
  const { header, rows } = tableCells(measurements, baseline);
  return textTable(header, rows);
}

export const format = { integer, one, two };
