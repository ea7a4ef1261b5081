import { describe, expect, it } from 'vitest';
import {
  consentTopicsOf,
  matchesCondition,
  matchesSegment,
  ruleLimits,
  type SegmentCondition,
  type SegmentSubject,
} from '../../../lambdas/domain/segments.ts';
import { SegmentConditionSchema, SegmentRuleSchema } from '../../../lambdas/schemas/segments.ts';

const NOW = new Date('2026-12-05T12:00:00Z');
const DAY = 86_400_000;
const ago = (days: number) => new Date(NOW.getTime() - days * DAY).toISOString();

const jane: SegmentSubject = {
  country: 'DE',
  locale: 'de-DE',
  timeZone: 'Europe/Berlin',
  createdAt: ago(100),
  lastOpenedAt: ago(3),
  attributes: { plan: 'pro', seats: 12, csvSeats: '7', vip: true, name: 'Jane Doe' },
  consents: { news: 'opted_in', offers: 'opted_out' },
};
const bare: SegmentSubject = { attributes: {}, consents: {} };
const m = (c: SegmentCondition, s: SegmentSubject = jane) => matchesCondition(s, SegmentConditionSchema.parse(c), NOW);

describe('segment conditions, one op at a time', () => {
  it('eq / ne', () => {
    expect(m({ field: 'country', op: 'eq', value: 'DE' })).toBe(true);
    expect(m({ field: 'country', op: 'eq', value: 'FR' })).toBe(false);
    expect(m({ field: 'attributes.csvSeats', op: 'eq', value: 7 })).toBe(true);
    expect(m({ field: 'attributes.vip', op: 'eq', value: true })).toBe(true);
    expect(m({ field: 'country', op: 'ne', value: 'FR' })).toBe(true);
    expect(m({ field: 'country', op: 'ne', value: 'DE' })).toBe(false);
    expect(m({ field: 'country', op: 'ne', value: 'DE' }, bare)).toBe(true);
    expect(m({ field: 'country', op: 'eq', value: 'DE' }, bare)).toBe(false);
    // Countries are stored upper-case: a rule's "de" is DE (else "ne de" would mail the Germans).
    expect(m({ field: 'country', op: 'eq', value: 'de' })).toBe(true);
    expect(m({ field: 'country', op: 'ne', value: 'de' })).toBe(false);
    expect(m({ field: 'country', op: 'notIn', value: ['at', 'de'] })).toBe(false);
    // Text against a typed attribute, both ways round (the console sends text; the JSON API keeps types).
    expect(m({ field: 'attributes.vip', op: 'eq', value: 'true' })).toBe(true);
    expect(m({ field: 'attributes.vip', op: 'ne', value: 'true' })).toBe(false);
    expect(m({ field: 'attributes.vip', op: 'notIn', value: ['TRUE'] })).toBe(false);
    expect(m({ field: 'attributes.seats', op: 'eq', value: '12' })).toBe(true);
    expect(m({ field: 'attributes.seats', op: 'eq', value: '12x' })).toBe(false);
    expect(m({ field: 'attributes.plan', op: 'eq', value: 'Pro' })).toBe(false);
  });
  it('in / notIn', () => {
    expect(m({ field: 'attributes.plan', op: 'in', value: ['pro', 'team'] })).toBe(true);
    expect(m({ field: 'attributes.plan', op: 'in', value: ['free'] })).toBe(false);
    expect(m({ field: 'attributes.plan', op: 'notIn', value: ['free'] })).toBe(true);
    expect(m({ field: 'attributes.plan', op: 'notIn', value: ['pro'] })).toBe(false);
    expect(m({ field: 'attributes.plan', op: 'notIn', value: ['pro'] }, bare)).toBe(true);
  });
  it('exists / notExists', () => {
    expect(m({ field: 'locale', op: 'exists' })).toBe(true);
    expect(m({ field: 'locale', op: 'exists' }, bare)).toBe(false);
    expect(m({ field: 'lastClickedAt', op: 'notExists' })).toBe(true);
    expect(m({ field: 'consent.news', op: 'exists' })).toBe(true);
    expect(m({ field: 'consent.other', op: 'notExists' })).toBe(true);
  });
  it('gt / gte / lt / lte on numbers, numeric strings and dates', () => {
    expect(m({ field: 'attributes.seats', op: 'gt', value: 10 })).toBe(true);
    expect(m({ field: 'attributes.seats', op: 'gte', value: 12 })).toBe(true);
    expect(m({ field: 'attributes.seats', op: 'lt', value: 12 })).toBe(false);
    expect(m({ field: 'attributes.seats', op: 'lte', value: 12 })).toBe(true);
    expect(m({ field: 'attributes.csvSeats', op: 'gt', value: 5 })).toBe(true);
    // Numeric text is compared as numbers on either side: "7" is less than "18", 12 is more than "9".
    expect(m({ field: 'attributes.csvSeats', op: 'lt', value: '18' })).toBe(true);
    expect(m({ field: 'attributes.seats', op: 'gt', value: '9' })).toBe(true);
    expect(m({ field: 'attributes.name', op: 'gt', value: 5 })).toBe(false);
    expect(m({ field: 'createdAt', op: 'lt', value: ago(50) })).toBe(true);
    expect(m({ field: 'createdAt', op: 'gte', value: ago(50) })).toBe(false);
    expect(m({ field: 'attributes.seats', op: 'gt', value: 1 }, bare)).toBe(false);
  });
  it('contains, case-insensitive', () => {
    expect(m({ field: 'attributes.name', op: 'contains', value: 'doe' })).toBe(true);
    expect(m({ field: 'attributes.name', op: 'contains', value: 'smith' })).toBe(false);
    expect(m({ field: 'attributes.name', op: 'contains', value: 'x' }, bare)).toBe(false);
  });
  it('withinDays / notWithinDays, a missing date is never "within"', () => {
    expect(m({ field: 'lastOpenedAt', op: 'withinDays', value: 7 })).toBe(true);
    expect(m({ field: 'lastOpenedAt', op: 'withinDays', value: 2 })).toBe(false);
    expect(m({ field: 'lastOpenedAt', op: 'notWithinDays', value: 2 })).toBe(true);
    expect(m({ field: 'lastClickedAt', op: 'withinDays', value: 30 })).toBe(false);
    expect(m({ field: 'lastClickedAt', op: 'notWithinDays', value: 30 })).toBe(true);
  });
  it('consent.<topic> reads the status', () => {
    expect(m({ field: 'consent.news', op: 'eq', value: 'opted_in' })).toBe(true);
    expect(m({ field: 'consent.offers', op: 'ne', value: 'opted_in' })).toBe(true);
    expect(m({ field: 'consent.constructor', op: 'exists' })).toBe(false);
  });
  it('timeZone is the effective zone', () => {
    expect(m({ field: 'timeZone', op: 'eq', value: 'Europe/Berlin' })).toBe(true);
  });
});

describe('segment rules', () => {
  it('nest all and any', () => {
    const rule = SegmentRuleSchema.parse({
      all: [
        { field: 'consent.news', op: 'eq', value: 'opted_in' },
        { any: [{ field: 'country', op: 'in', value: ['AT', 'CH'] }, { all: [{ field: 'country', op: 'eq', value: 'DE' }, { field: 'attributes.seats', op: 'gte', value: 10 }] }] },
      ],
    });
    expect(matchesSegment(jane, rule, NOW)).toBe(true);
    expect(matchesSegment({ ...jane, attributes: { seats: 3 } }, rule, NOW)).toBe(false);
    expect(matchesSegment(bare, rule, NOW)).toBe(false);
    expect(consentTopicsOf(rule)).toEqual(['news']);
  });

  it('refuses bad fields, ops, values and shapes, naming where', () => {
    const bad = (r: unknown) => SegmentRuleSchema.safeParse(r);
    expect(bad({ all: [{ field: 'email', op: 'eq', value: 'x' }] }).success).toBe(false);
    expect(bad({ all: [{ field: 'country', op: 'like', value: 'x' }] }).success).toBe(false);
    expect(bad({ all: [{ field: 'country', op: 'in', value: 'DE' }] }).success).toBe(false);
    expect(bad({ all: [{ field: 'country', op: 'exists', value: 'DE' }] }).success).toBe(false);
    expect(bad({ all: [{ field: 'country', op: 'withinDays', value: 3 }] }).success).toBe(false);
    expect(bad({ all: [] }).success).toBe(false);
    expect(bad({ all: [{ field: 'country', op: 'eq', value: 'DE' }], any: [] }).success).toBe(false);
    expect(bad({ any: [{ field: 'attributes.plan', op: 'eq', value: 'pro' }] }).success).toBe(true);
  });

  it('limits depth', () => {
    let r: unknown = { field: 'country', op: 'exists' };
    for (let i = 0; i < 6; i++) r = { all: [r] };
    const parsed = SegmentRuleSchema.parse(r);
    expect(ruleLimits(parsed)).toMatch(/nest/);
  });
});
