/** Pure text rendering: numbers in, one string out. Nothing here writes or reads anything. */
import type { Campaign, CampaignProgress } from '../lambdas/schemas/model.ts';

const number = new Intl.NumberFormat('en-US');
export const count = (n: number): string => number.format(n);

/**
 * `[#########...........]  45%`: `width` cells between the brackets. A total of 0 renders as 0 %; `done` is clamped
 * to the total (a counter that runs ahead must not draw past the end).
 */
export function progressBar(done: number, total: number, width = 24): string {
  const fraction = total > 0 ? Math.min(Math.max(done / total, 0), 1) : 0;
  const filled = Math.floor(fraction * width);
  const percent = Math.floor(fraction * 100);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(percent).padStart(3)}%`;
}

/** `1h 02m`, `4m 05s`, `42s`. */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s >= 3600) return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${s}s`;
}

/** Recipients with an outcome: sent, held or failed. */
export const settled = (p: CampaignProgress): number => p.sent + p.heldTotal + p.failed;

/** `not_opted_in 120, suppressed 4`, largest first; empty when nothing was held. */
export function heldByReason(held: Readonly<Record<string, number | undefined>>): string {
  return Object.entries(held)
    .filter((e): e is [string, number] => (e[1] ?? 0) > 0)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([reason, n]) => `${reason} ${count(n)}`)
    .join(', ');
}

/**
 * One line of campaign progress:
 * `[#####...]  42%  4,200/10,000  sent 4,000 · held 150 (not_opted_in 150) · failed 50 · 120/s · ETA 48s · sending`.
 * `bar: false` leaves the bar out (logs, pipes). While the audience is still being found the total is a floor (`≥`).
 */
export function campaignProgressLine(campaign: Pick<Campaign, 'status' | 'progress' | 'pauseReason'>, options: { bar?: boolean; width?: number } = {}): string {
  const p = campaign.progress;
  const done = settled(p);
  const parts: string[] = [];
  if (options.bar !== false) parts.push(progressBar(done, p.targeted, options.width));
  parts.push(`${count(done)}/${p.audienceComplete ? '' : '≥'}${count(p.targeted)}`);
  const stats = [`sent ${count(p.sent)}`];
  const reasons = heldByReason(p.held);
  stats.push(`held ${count(p.heldTotal)}${reasons ? ` (${reasons})` : ''}`);
  stats.push(`failed ${count(p.failed)}`);
  // Local time and quiet hours: who waits, and who went late (only when there are any, so other lines stay as they were).
  if (p.scheduled) stats.push(`scheduled ${count(p.scheduled)}${p.nextDueAt ? ` (next ${p.nextDueAt.slice(0, 16).replace('T', ' ')} UTC)` : ''}`);
  if (p.deferred) stats.push(`deferred ${count(p.deferred)}`);
  if (p.late) stats.push(`late ${count(p.late)}`);
  if (p.ratePerSecond !== undefined) stats.push(`${p.ratePerSecond >= 10 ? Math.round(p.ratePerSecond) : p.ratePerSecond.toFixed(1)}/s`);
  if (p.etaSeconds !== undefined && campaign.status === 'sending') stats.push(`ETA ${duration(p.etaSeconds)}`);
  stats.push(campaign.pauseReason && campaign.status === 'paused' ? `paused (${campaign.pauseReason})` : campaign.status);
  return `${parts.join(' ')}  ${stats.join(' · ')}`;
}

/** Import progress: `[####....]  40%  2,000/5,000 rows (chunk 4/10)`. */
export function importProgressLine(rowsDone: number, rowsTotal: number, chunk: number, chunks: number, options: { bar?: boolean; width?: number } = {}): string {
  const text = `${count(rowsDone)}/${count(rowsTotal)} rows (chunk ${chunk}/${chunks})`;
  return options.bar === false ? `imported ${text}` : `${progressBar(rowsDone, rowsTotal, options.width)}  ${text}`;
}

/** Left-aligned columns, two spaces apart; the first row is the header. */
export function table(rows: ReadonlyArray<readonly string[]>): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ')).join('\n') + '\n';
}
