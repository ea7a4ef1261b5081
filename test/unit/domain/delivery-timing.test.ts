import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decide, type DecisionMessage, type DecisionTiming } from '../../../lambdas/domain/decide.ts';
import { RecipientStateSchema } from '../../../lambdas/schemas/decision.ts';
import { capsFor, isStricterCap, localMoment, localTiming, overCap, quietUntil, type QuietHours } from '../../../lambdas/domain/delivery-timing.ts';
import { canonicalTimeZone, recipientTimeZone, singleZoneOfCountry, wallTime, parseWallTime, zonedInstant } from '../../../lambdas/domain/time-zones.ts';

const QUIET: QuietHours = { start: '21:00', end: '08:00' };
const DAY = 86_400_000;

describe('time zones', () => {
  it('canonicalizes IANA names and refuses anything else', () => {
    expect(canonicalTimeZone('america/los_angeles')).toBe('America/Los_Angeles');
    expect(canonicalTimeZone('Pacific/Kiritimati')).toBe('Pacific/Kiritimati');
    expect(canonicalTimeZone('Mars/Olympus')).toBeUndefined();
    expect(canonicalTimeZone('+02:00')).toBeUndefined();
    expect(canonicalTimeZone('')).toBeUndefined();
  });

  it('derives a zone only from a country whose zones all keep the same time', () => {
    expect(singleZoneOfCountry('JP')).toBe('Asia/Tokyo');
    expect(singleZoneOfCountry('de')).toBe('Europe/Berlin'); // Berlin and Busingen never differ
    expect(singleZoneOfCountry('US')).toBeUndefined();
    expect(singleZoneOfCountry('KI')).toBeUndefined(); // three zones, three offsets
    expect(singleZoneOfCountry('ZZ')).toBeUndefined();
    expect(singleZoneOfCountry(undefined)).toBeUndefined();
  });

  it('picks the recipient’s own zone, else the country’s, else the stage default, else UTC', () => {
    expect(recipientTimeZone({ timeZone: 'Pacific/Kiritimati', country: 'JP' })).toEqual({ timeZone: 'Pacific/Kiritimati', source: 'recipient' });
    expect(recipientTimeZone({ country: 'JP' })).toEqual({ timeZone: 'Asia/Tokyo', source: 'country' });
    expect(recipientTimeZone({ country: 'US' }, 'America/New_York')).toEqual({ timeZone: 'America/New_York', source: 'default' });
    expect(recipientTimeZone({})).toEqual({ timeZone: 'UTC', source: 'default' });
  });

  it('turns a wall-clock time in a zone into its instant and back', () => {
    const nine = parseWallTime('2026-12-06T09:00:00')!;
    expect(zonedInstant(nine, 'UTC').toISOString()).toBe('2026-12-06T09:00:00.000Z');
    expect(zonedInstant(nine, 'Pacific/Kiritimati').toISOString()).toBe('2026-12-05T19:00:00.000Z');
    expect(zonedInstant(nine, 'America/Los_Angeles').toISOString()).toBe('2026-12-06T17:00:00.000Z');
    expect(parseWallTime('2026-02-30T09:00:00')).toBeUndefined();
    expect(parseWallTime('2026-12-06T09:00:00Z')).toBeUndefined();
    fc.assert(
      fc.property(fc.date({ min: new Date('2020-01-01'), max: new Date('2035-01-01'), noInvalidDate: true }), fc.constantFrom('UTC', 'Europe/Berlin', 'America/Los_Angeles', 'Pacific/Kiritimati', 'Asia/Kolkata', 'Australia/Lord_Howe'), (d, zone) => {
        const t = new Date(Math.floor(d.getTime() / 1000) * 1000);
        const back = zonedInstant(wallTime(t, zone), zone);
        // Equal, or (an hour repeated by DST) the first of the two instants that show this wall time.
        expect(wallTime(back, zone)).toEqual(wallTime(t, zone));
        expect(back.getTime()).toBeLessThanOrEqual(t.getTime());
      }),
    );
  });

  it('handles a DST gap: 02:30 on the day clocks jump is taken as the later instant', () => {
    const gap = zonedInstant({ year: 2026, month: 3, day: 8, hour: 2, minute: 30, second: 0 }, 'America/Los_Angeles');
    expect(gap.toISOString()).toBe('2026-03-08T10:30:00.000Z');
    expect(zonedInstant({ year: 2026, month: 3, day: 29, hour: 2, minute: 30, second: 0 }, 'Europe/Berlin').toISOString()).toBe('2026-03-29T01:30:00.000Z');
  });

  it('handles a repeated hour (clocks going back): its first occurrence, east and west of UTC, 30-minute DST too', () => {
    const at = (zone: string, month: number, day: number, hour: number, minute: number) => zonedInstant({ year: 2026, month, day, hour, minute, second: 0 }, zone).toISOString();
    // Berlin goes from 03:00 CEST back to 02:00 CET on 25 October: 02:30 happens at 00:30Z and again at 01:30Z.
    expect(at('Europe/Berlin', 10, 25, 2, 30)).toBe('2026-10-25T00:30:00.000Z');
    expect(at('Europe/Berlin', 10, 25, 1, 30)).toBe('2026-10-24T23:30:00.000Z');
    expect(at('Europe/Berlin', 10, 25, 3, 30)).toBe('2026-10-25T02:30:00.000Z');
    // Los Angeles, 1 November: 01:30 PDT (08:30Z) before 01:30 PST (09:30Z).
    expect(at('America/Los_Angeles', 11, 1, 1, 30)).toBe('2026-11-01T08:30:00.000Z');
    // Lord Howe goes back half an hour (02:00 +11 to 01:30 +10:30) on 5 April: 01:45 first at 14:45Z the day before.
    expect(at('Australia/Lord_Howe', 4, 5, 1, 45)).toBe('2026-04-04T14:45:00.000Z');
  });
});

describe('quiet hours', () => {
  it('defers to the end of quiet hours in the recipient’s zone, across midnight', () => {
    expect(quietUntil(new Date('2026-12-05T22:30:00Z'), 'UTC', QUIET)?.toISOString()).toBe('2026-12-06T08:00:00.000Z');
    expect(quietUntil(new Date('2026-12-06T07:59:00Z'), 'UTC', QUIET)?.toISOString()).toBe('2026-12-06T08:00:00.000Z');
    expect(quietUntil(new Date('2026-12-06T08:00:00Z'), 'UTC', QUIET)).toBeUndefined();
    expect(quietUntil(new Date('2026-12-05T20:59:59Z'), 'UTC', QUIET)).toBeUndefined();
    expect(quietUntil(new Date('2026-12-05T21:00:00Z'), 'UTC', QUIET)?.toISOString()).toBe('2026-12-06T08:00:00.000Z');
    // 12:00 UTC is 04:00 in Los Angeles: quiet there until 08:00 local = 16:00 UTC.
    expect(quietUntil(new Date('2026-12-05T12:00:00Z'), 'America/Los_Angeles', QUIET)?.toISOString()).toBe('2026-12-05T16:00:00.000Z');
  });

  it('supports a window within one day', () => {
    const lunch = { start: '12:00', end: '13:30' };
    expect(quietUntil(new Date('2026-12-05T12:10:00Z'), 'UTC', lunch)?.toISOString()).toBe('2026-12-05T13:30:00.000Z');
    expect(quietUntil(new Date('2026-12-05T11:59:00Z'), 'UTC', lunch)).toBeUndefined();
  });

  it('the end is always in the future and outside quiet hours', () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date('2024-01-01'), max: new Date('2030-01-01'), noInvalidDate: true }),
        fc.constantFrom('UTC', 'Europe/London', 'America/Los_Angeles', 'Pacific/Kiritimati', 'Asia/Kathmandu'),
        fc.integer({ min: 0, max: 1439 }),
        fc.integer({ min: 0, max: 1439 }),
        (now, zone, s, e) => {
          fc.pre(s !== e);
          const hhmm = (m: number) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
          const q = { start: hhmm(s), end: hhmm(e) };
          const until = quietUntil(now, zone, q);
          if (until) {
            expect(until.getTime()).toBeGreaterThan(now.getTime());
            expect(until.getTime() - now.getTime()).toBeLessThanOrEqual(DAY + 2 * 3600_000);
          }
        },
      ),
    );
  });
});

describe('frequency caps', () => {
  const now = new Date('2026-12-05T12:00:00Z');
  it('counts mails in the rolling window before now', () => {
    expect(overCap([], now, [{ max: 1, days: 7 }])).toBe(false);
    expect(overCap([now.getTime() - 6 * DAY], now, [{ max: 1, days: 7 }])).toBe(true);
    expect(overCap([now.getTime() - 7 * DAY], now, [{ max: 1, days: 7 }])).toBe(false);
    expect(overCap([now.getTime() - DAY, now.getTime() - 2 * DAY], now, [{ max: 3, days: 7 }])).toBe(false);
    expect(overCap([now.getTime() - DAY, now.getTime() - 2 * DAY], now, [{ max: 3, days: 7 }, { max: 2, days: 7 }])).toBe(true);
  });
  it('a topic cap is stricter when it allows no more mail in a window at least as long', () => {
    expect(isStricterCap({ max: 1, days: 7 }, { max: 3, days: 7 })).toBe(true);
    expect(isStricterCap({ max: 1, days: 14 }, { max: 1, days: 7 })).toBe(true);
    expect(isStricterCap({ max: 5, days: 7 }, { max: 3, days: 7 })).toBe(false);
    expect(isStricterCap({ max: 1, days: 3 }, { max: 1, days: 7 })).toBe(false);
    expect(isStricterCap({ max: 9, days: 1 }, undefined)).toBe(true);
    expect(capsFor(undefined, { max: 1, days: 1 })).toEqual([{ max: 1, days: 1 }]);
  });
});

describe('local time', () => {
  const sendAt = parseWallTime('2026-12-06T09:00:00')!;
  const launchedAt = new Date('2026-12-06T08:59:50Z');
  it('UTC at its time, Kiritimati late (its 09:00 passed before the launch), Los Angeles scheduled', () => {
    const at = new Date('2026-12-06T09:00:00Z');
    expect(localTiming(localMoment(sendAt, 'UTC'), launchedAt, at)).toEqual({ kind: 'due', late: false });
    expect(localTiming(localMoment(sendAt, 'Pacific/Kiritimati'), launchedAt, at)).toEqual({ kind: 'due', late: true });
    expect(localTiming(localMoment(sendAt, 'America/Los_Angeles'), launchedAt, at)).toEqual({ kind: 'scheduled', at: new Date('2026-12-06T17:00:00Z') });
  });
});

describe('decide with timing: the property the issue asks for', () => {
  const zones = ['UTC', 'Europe/Berlin', 'America/Los_Angeles', 'Pacific/Kiritimati', 'Asia/Kolkata'];
  const clock = fc.integer({ min: 0, max: 1439 }).map((m) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`);
  const timingArb = fc.record({
    timeZone: fc.constantFrom(...zones),
    quietHours: fc.option(fc.record({ start: clock, end: clock }).filter((q) => q.start !== q.end), { nil: undefined }),
    stageCap: fc.option(fc.record({ max: fc.integer({ min: 1, max: 5 }), days: fc.integer({ min: 1, max: 30 }) }), { nil: undefined }),
    topicCap: fc.option(fc.record({ max: fc.integer({ min: 1, max: 5 }), days: fc.integer({ min: 1, max: 30 }) }), { nil: undefined }),
    marketingSentAt: fc.array(fc.integer({ min: 0, max: 40 * DAY }), { maxLength: 8 }),
  });
  const stateArb = fc.record({
    country: fc.constantFrom('US', 'DE', null),
    consents: fc.constantFrom({}, { news: { status: 'opted_in', confirmedAt: '2025-01-01T00:00:00Z' } }, { news: { status: 'opted_out' } }),
    unsubscribedAll: fc.boolean(),
    suppressions: fc.constantFrom([], [{ reason: 'complaint', scope: 'marketing' }], [{ reason: 'hard_bounce', scope: 'all' }]),
  });
  const nowArb = fc.date({ min: new Date('2026-01-01'), max: new Date('2027-01-01'), noInvalidDate: true });

  it('service mail is never deferred or capped; marketing is never sent inside quiet hours or over a cap', () => {
    fc.assert(
      fc.property(stateArb, timingArb, nowArb, fc.boolean(), (s, t, now, paused) => {
        const recipient = RecipientStateSchema.parse(s);
        const timing: DecisionTiming = { ...t, marketingSentAt: t.marketingSentAt.map((ago) => now.getTime() - ago) };
        const service: DecisionMessage = { class: 'service' };
        const marketing: DecisionMessage = { class: 'marketing', topic: 'news' };

        const withTiming = decide(recipient, service, now, { timing, marketingPaused: paused });
        expect(withTiming).toEqual(decide(recipient, service, now));
        expect(withTiming.action).not.toBe('defer');

        const m = decide(recipient, marketing, now, { timing, marketingPaused: paused });
        const quiet = t.quietHours ? quietUntil(now, t.timeZone, t.quietHours) : undefined;
        const capped = overCap(timing.marketingSentAt!, now, capsFor(t.stageCap, t.topicCap));
        if (m.action === 'send') {
          expect(quiet).toBeUndefined();
          expect(capped).toBe(false);
        }
        if (m.action === 'defer') expect(Date.parse(m.until)).toBeGreaterThan(now.getTime());
        // Timing never sends what consent holds, and never hides a consent reason behind a timing one.
        const plain = decide(recipient, marketing, now);
        if (plain.action === 'hold') expect(m).toEqual(plain);
      }),
      { numRuns: 2000 },
    );
  });

  it('a test send is not deferred or capped', () => {
    const jane = RecipientStateSchema.parse({ country: 'US', consents: { news: { status: 'opted_in' } } });
    const night = new Date('2026-12-05T23:00:00Z');
    const timing = { timeZone: 'UTC', quietHours: QUIET, stageCap: { max: 1, days: 7 }, marketingSentAt: [night.getTime() - DAY] };
    expect(decide(jane, { class: 'marketing', topic: 'news', test: true }, night, { timing })).toEqual({ action: 'send' });
    expect(decide(jane, { class: 'marketing', topic: 'news' }, night, { timing })).toEqual({ action: 'defer', until: '2026-12-06T08:00:00.000Z' });
    expect(decide(jane, { class: 'marketing', topic: 'news' }, new Date('2026-12-05T12:00:00Z'), { timing })).toEqual({ action: 'hold', reason: 'frequency_capped' });
  });
});
