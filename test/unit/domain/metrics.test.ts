import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  addDays,
  daysBetween,
  figuresOf,
  isDay,
  metricsRange,
  ratesOf,
  ratio,
  sumCounters,
  topHoldReasons,
} from '../../../lambdas/domain/metrics.ts';

describe('figuresOf', () => {
  it('reads totals and class parts by the naming rule', () => {
    const f = figuresOf({
      sent_service: 60,
      sent_marketing: 40,
      held_marketing: 5,
      held_reason_opted_out: 3,
      held_reason_marketing_paused: 2,
      delivered: 95,
      delivered_marketing: 38,
      delivered_service: 57,
      bounced_hard: 2,
      bounced_hard_marketing: 2,
      opens_total: 30,
      opens_total_marketing: 30,
      opens_unique: 20,
      opens_unique_marketing: 20,
      opens_human: 25,
      opens_human_marketing: 25,
      opens_machine: 5,
      opens_machine_marketing: 5,
      opens_unique_human: 15,
      opens_unique_human_marketing: 15,
      clicks_total: 9,
      clicks_total_service: 9,
      clicks_unique: 6,
      clicks_unique_service: 6,
      unsubscribed: 4,
      unsubscribed_one_click: 3,
      unsubscribed_complaint: 1,
      suppressions_added: 2,
      suppressions_added_hard_bounce: 2,
    });
    expect(f.sent).toEqual({ total: 100, service: 60, marketing: 40 });
    expect(f.held).toEqual({ total: 5, service: 0, marketing: 5, byReason: { opted_out: 3, marketing_paused: 2 } });
    expect(f.delivered).toEqual({ total: 95, service: 57, marketing: 38 });
    expect(f.bouncedHard).toEqual({ total: 2, service: 0, marketing: 2 });
    const m = (n: number) => ({ total: n, service: 0, marketing: n });
    expect(f.opens).toEqual({ total: m(30), unique: m(20), human: m(25), machine: m(5), uniqueHuman: m(15) });
    expect(f.clicks.total).toEqual({ total: 9, service: 9, marketing: 0 });
    // Every unsubscribe is from marketing: service mail has nothing to unsubscribe from.
    expect(f.unsubscribed).toEqual({ total: 4, service: 0, marketing: 4, bySource: { one_click: 3, complaint: 1 } });
    expect(f.suppressionsAdded).toEqual({ total: 2, byReason: { hard_bounce: 2 } });
  });

  it('is all zeros for no counters', () => {
    const f = figuresOf({});
    expect(f.sent).toEqual({ total: 0, service: 0, marketing: 0 });
    expect(f.held.byReason).toEqual({});
    expect(f.unsubscribed.total).toBe(0);
  });
});

describe('ratesOf', () => {
  it('divides by sent for bounces and complaints, by delivered for engagement', () => {
    const r = ratesOf(
      figuresOf({ sent_marketing: 1000, delivered: 900, bounced_hard: 40, bounced_soft: 30, complained: 1, opens_unique: 300, opens_unique_human: 200, clicks_unique: 90, clicks_unique_human: 45, unsubscribed: 9 }),
    );
    // Rates use human engagement only: machine opens and clicks are left out.
    expect(r).toEqual({ bounce: 0.04, complaint: 0.001, open: 200 / 900, humanOpen: 200 / 900, click: 0.05, unsubscribe: 0.01 });
  });

  it('is null, not 0 or NaN, when nothing was sent or delivered', () => {
    expect(ratesOf(figuresOf({}))).toEqual({ bounce: null, complaint: null, open: null, humanOpen: null, click: null, unsubscribe: null });
    expect(ratesOf(figuresOf({ bounced_hard: 1, complained: 1 })).bounce).toBeNull();
    const sentOnly = ratesOf(figuresOf({ sent_service: 10, bounced_hard: 1 }));
    expect(sentOnly.bounce).toBe(0.1);
    expect(sentOnly.open).toBeNull();
  });

  it('never yields NaN or Infinity for any counters', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom('sent_service', 'sent_marketing', 'delivered', 'bounced_hard', 'complained', 'opens_unique_human', 'clicks_unique_human', 'unsubscribed'), fc.nat(10_000)), (raw) => {
        for (const v of Object.values(ratesOf(figuresOf(raw)))) expect(v === null || Number.isFinite(v)).toBe(true);
      }),
    );
  });
});

describe('ratio, sumCounters, topHoldReasons', () => {
  it('ratio guards a zero denominator', () => {
    expect(ratio(0, 0)).toBeNull();
    expect(ratio(3, 0)).toBeNull();
    expect(ratio(0, 5)).toBe(0);
  });

  it('sums figure by figure', () => {
    expect(sumCounters([{ a: 1, b: 2 }, { a: 3 }, {}])).toEqual({ a: 4, b: 2 });
  });

  it('orders hold reasons by count, then name', () => {
    const f = figuresOf({ held_reason_opted_out: 2, held_reason_not_opted_in: 5, held_reason_complained: 2 });
    expect(topHoldReasons(f)).toEqual([
      { reason: 'not_opted_in', count: 5 },
      { reason: 'complained', count: 2 },
      { reason: 'opted_out', count: 2 },
    ]);
    expect(topHoldReasons(f, 1)).toHaveLength(1);
  });
});

describe('days and ranges', () => {
  it('knows calendar days', () => {
    expect(isDay('2026-02-28')).toBe(true);
    expect(isDay('2026-02-30')).toBe(false);
    expect(isDay('2026-2-3')).toBe(false);
    expect(daysBetween('2026-12-30', '2027-01-02')).toEqual(['2026-12-30', '2026-12-31', '2027-01-01', '2027-01-02']);
    expect(addDays('2028-02-28', 1)).toBe('2028-02-29');
  });

  it('defaults to the last 30 days, today included', () => {
    expect(metricsRange({}, '2026-11-30')).toEqual({ ok: true, from: '2026-11-01', to: '2026-11-30' });
    expect(metricsRange({ to: '2026-03-01' }, '2026-11-30')).toEqual({ ok: true, from: '2026-01-31', to: '2026-03-01' });
    expect(metricsRange({ from: '2026-11-30', to: '2026-11-30' }, '2026-11-30')).toEqual({ ok: true, from: '2026-11-30', to: '2026-11-30' });
  });

  it('refuses from after to, more than 400 days, and non-days, naming the field', () => {
    expect(metricsRange({ from: '2026-12-01', to: '2026-11-01' }, '2026-11-30')).toMatchObject({ ok: false, problems: [{ path: 'from' }] });
    expect(metricsRange({ from: '2025-01-01', to: '2026-11-30' }, '2026-11-30')).toMatchObject({ ok: false, problems: [{ path: 'from', message: expect.stringContaining('at most 400') }] });
    expect(metricsRange({ from: '2025-10-27', to: '2026-11-30' }, '2026-11-30').ok).toBe(true); // exactly 400 days
    expect(metricsRange({ from: '2026-13-01' }, '2026-11-30')).toMatchObject({ ok: false, problems: [{ path: 'from' }] });
    expect(metricsRange({ to: 'yesterday' }, '2026-11-30')).toMatchObject({ ok: false, problems: [{ path: 'to' }] });
  });
});
