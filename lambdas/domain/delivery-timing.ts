/**
 * When marketing may go out: quiet hours read in the recipient's own time zone (→ deferred until they end), frequency
 * caps over a rolling window (→ held `frequency_capped`), and a campaign's local-time moment for each recipient. None
 * of it ever touches service mail: `decide.ts` asks these only for marketing. Pure: instants are arguments.
 */
import { parseClock, wallTime, zonedInstant, type WallTime } from './time-zones.ts';

/** Longest rolling window a cap may have: the per-recipient send log keeps this many days. */
export const MAX_CAP_DAYS = 90;

// Types only: the schemas (lambdas/schemas/delivery-timing.ts) are zod; the rules load no validation library.
import type { FrequencyCap, QuietHours } from '../schemas/delivery-timing.ts';

export type { FrequencyCap, QuietHours };

/**
 * Whether `now` falls inside quiet hours in `zone`, and if so the instant they end (the first `end` after `now`).
 * A window that wraps midnight (`21:00`-`08:00`) is the usual case; `08:00`-`12:00` works too. Start is inside,
 * end is not.
 *
 * @example
 * quietUntil(new Date('2026-12-05T22:30:00Z'), 'UTC', { start: '21:00', end: '08:00' })?.toISOString()
 * // '2026-12-06T08:00:00.000Z'
 * quietUntil(new Date('2026-12-05T12:00:00Z'), 'UTC', { start: '21:00', end: '08:00' }) // undefined
 */
export function quietUntil(now: Date, zone: string, quiet: QuietHours): Date | undefined {
  const start = parseClock(quiet.start);
  const end = parseClock(quiet.end);
  if (start === undefined || end === undefined || start === end) return undefined;
  const w = wallTime(now, zone);
  const minute = w.hour * 60 + w.minute;
  const inside = start < end ? minute >= start && minute < end : minute >= start || minute < end;
  if (!inside) return undefined;
  // The end is today (local) when it is later than now on the clock, else tomorrow.
  const endToday = minute < end;
  const day = endToday ? w : addDays(w, 1);
  const until = zonedInstant({ year: day.year, month: day.month, day: day.day, hour: Math.floor(end / 60), minute: end % 60, second: 0 }, zone);
  // A DST change can put the computed end at or before now: never defer into the past.
  return until.getTime() > now.getTime() ? until : new Date(now.getTime() + 60_000);
}

function addDays(w: WallTime, n: number): WallTime {
  const d = new Date(Date.UTC(w.year, w.month - 1, w.day + n));
  return { ...w, year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

/**
 * Whether one more marketing mail at `now` would break any of `caps`, given the instants (epoch ms) of the marketing
 * mails already sent to the recipient. Each cap counts every marketing mail in the `days` before `now` (and any
 * logged after it).
 *
 * @example
 * overCap([Date.parse('2026-12-01T00:00:00Z')], new Date('2026-12-05T00:00:00Z'), [{ max: 1, days: 7 }]) // true
 * overCap([Date.parse('2026-11-01T00:00:00Z')], new Date('2026-12-05T00:00:00Z'), [{ max: 1, days: 7 }]) // false
 */
export function overCap(sentAt: readonly number[], now: Date, caps: readonly FrequencyCap[]): boolean {
  return caps.some((cap) => {
    const from = now.getTime() - cap.days * 86_400_000;
    let n = 0;
    // A send logged a moment after `now` (a racing sender whose clock read came later) counts too: it is in the window.
    for (const t of sentAt) if (t > from) n++;
    return n >= cap.max;
  });
}

/** The caps a marketing mail of a topic is held to: the stage's, and the topic's own (which may only be stricter). */
export function capsFor(stage: FrequencyCap | undefined, topic: FrequencyCap | undefined): FrequencyCap[] {
  return [stage, topic].filter((c): c is FrequencyCap => c !== undefined);
}

/**
 * A topic's cap is stricter than the stage's when it never allows more mail than the stage's in the same window:
 * at most as many mails in at least as many days.
 */
export function isStricterCap(topic: FrequencyCap, stage: FrequencyCap | undefined): boolean {
  return stage === undefined || (topic.max <= stage.max && topic.days >= stage.days);
}

/**
 * A local-time campaign's moment for one recipient: the campaign's wall-clock `sendAt` in the recipient's zone.
 *
 * @example
 * localMoment({ year: 2026, month: 12, day: 6, hour: 9, minute: 0, second: 0 }, 'Pacific/Kiritimati').toISOString()
 * // '2026-12-05T19:00:00.000Z'
 */
export function localMoment(sendAt: WallTime, zone: string): Date {
  return zonedInstant(sendAt, zone);
}

/** Where a recipient of a local-time campaign stands when the sender looks at them. */
export type LocalTiming = { readonly kind: 'due'; readonly late: boolean } | { readonly kind: 'scheduled'; readonly at: Date };

/**
 * `scheduled` until their moment; then `due`, and `late` if the moment had already passed when the campaign was
 * launched (they get it at launch instead).
 */
export function localTiming(moment: Date, launchedAt: Date, now: Date): LocalTiming {
  if (moment.getTime() > now.getTime()) return { kind: 'scheduled', at: moment };
  return { kind: 'due', late: moment.getTime() < launchedAt.getTime() };
}
