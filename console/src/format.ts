/** Numbers, rates and durations as the console writes them. Pure. */

export const num = (n: number | undefined | null) => (n === undefined || n === null ? '–' : n.toLocaleString('en-US'));

/** A fraction as a percentage, `n/a` when there is nothing to divide by. @example pct(0.0123) // '1.23 %' */
export const pct = (rate: number | null | undefined, digits = 2) => (rate === null || rate === undefined ? 'n/a' : `${(rate * 100).toFixed(digits)} %`);

/** @example duration(3725) // '1 h 2 min' */
export function duration(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return '–';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

export type Level = 'ok' | 'warn' | 'over' | 'none';

/** Where a bounce or complaint rate stands against the warning and SES review thresholds. */
export function level(rate: number | null | undefined, warning: number, review: number): Level {
  if (rate === null || rate === undefined) return 'none';
  if (rate >= review) return 'over';
  if (rate >= warning) return 'warn';
  return 'ok';
}

/** A hold reason in words. */
export const reasonLabel = (reason: string) => reason.replace(/_/g, ' ');

/** A day `yyyy-mm-dd` of a Date, UTC. */
export const day = (d: Date) => d.toISOString().slice(0, 10);

/** `plan=pro,team` lines → an audience's attribute conditions, as text: the API matches `tier=2` or `vip=true` to a stored number or boolean too (segments' `sameValue`). */
export function parseAttributes(text: string): Record<string, string | string[]> | { error: string } {
  const out: Record<string, string | string[]> = {};
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (!line) continue;
    const m = /^([A-Za-z_][A-Za-z0-9_.-]{0,63})\s*=\s*(.+)$/.exec(line);
    if (!m) return { error: `Line ${i + 1}: write an attribute condition as name=value or name=value1,value2.` };
    const values = m[2]!.split(',').map((v) => v.trim()).filter(Boolean);
    out[m[1]!] = values.length === 1 ? values[0]! : values;
  }
  return out;
}
