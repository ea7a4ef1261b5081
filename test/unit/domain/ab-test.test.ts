import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { abBuckets, assignVariant, checkAbTest, decideAt, pickWinner, variantAt, variantContent, type AbTestSpec, type VariantScore } from '../../../lambdas/domain/ab-test.ts';

const AB: AbTestSpec = { variants: [{ id: 'a', subject: 'A', weight: 1 }, { id: 'b', subject: 'B', weight: 1 }] };
const ids = (n: number) => Array.from({ length: n }, (_, i) => `rcp_${i}`);
const count = <T>(xs: readonly T[], f: (x: T) => boolean) => xs.filter(f).length;

describe('assignVariant', () => {
  it('gives a recipient the same group and variant every time (a retry picks the same one)', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.string({ minLength: 1 }), fc.integer({ min: 0, max: 60 }), fc.integer({ min: 1, max: 40 }), (cmp, rcp, holdout, share) => {
        const spec = { ...AB, holdout, test: { share, metric: 'clicks' as const, decideAfterSeconds: 60 } };
        expect(assignVariant(cmp, rcp, spec)).toEqual(assignVariant(cmp, rcp, spec));
      }),
    );
  });

  it('splits by weight within statistical bounds', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 2, maxLength: 5 }), fc.string({ minLength: 1, maxLength: 8 }), (weights, cmp) => {
        const variants = weights.map((weight, i) => ({ id: `v${i}`, weight, subject: `S${i}` }));
        const total = weights.reduce((a, b) => a + b, 0);
        const n = 4000;
        const got = ids(n).map((r) => assignVariant(`cmp_${cmp}`, r, { variants }));
        variants.forEach((v) => {
          const p = v.weight / total;
          // Six standard deviations: a correct split fails this about once in 500 million runs.
          const bound = 6 * Math.sqrt(n * p * (1 - p));
          expect(Math.abs(count(got, (a) => a.group === 'variant' && a.variant === v.id) - n * p)).toBeLessThan(bound);
        });
      }),
      { numRuns: 25 },
    );
  });

  it('keeps the holdout share out (nothing sent) and puts the test share, then the rest, after it', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 50 }), fc.integer({ min: 1, max: 49 }), (holdout, share) => {
        const n = 4000;
        const got = ids(n).map((r) => assignVariant('cmp_h', r, { ...AB, holdout, test: { share, metric: 'humanOpens', decideAfterSeconds: 1 } }));
        const within = (k: number, pct: number) => expect(Math.abs(k - (n * pct) / 100)).toBeLessThan(6 * Math.sqrt((n * pct * (100 - pct)) / 10_000) + 1);
        within(count(got, (a) => a.group === 'holdout'), holdout);
        within(count(got, (a) => a.group === 'variant'), share);
        within(count(got, (a) => a.group === 'rest'), 100 - holdout - share);
      }),
      { numRuns: 25 },
    );
  });

  it('never holds out anyone without a holdout, and puts nobody in the rest without a test', () => {
    const got = ids(500).map((r) => assignVariant('cmp_x', r, AB));
    expect(got.every((a) => a.group === 'variant')).toBe(true);
  });

  it('draws the variant independently of the holdout bucket, and differently per campaign', () => {
    const [g1, p1] = abBuckets('cmp_1', 'rcp_1');
    expect(g1).not.toBe(p1);
    expect(abBuckets('cmp_1', 'rcp_1')).not.toEqual(abBuckets('cmp_2', 'rcp_1'));
    expect(variantAt([{ id: 'a', weight: 1 }, { id: 'b', weight: 3 }], 0.3)).toBe('b');
    expect(variantAt([{ id: 'a', weight: 1 }, { id: 'b', weight: 3 }], 0.2)).toBe('a');
    expect(variantAt([{ id: 'a', weight: 1 }, { id: 'b', weight: 3 }], 0.999999999)).toBe('b');
  });
});

describe('checkAbTest', () => {
  it('accepts a valid test and names every field that is wrong', () => {
    expect(checkAbTest({ ...AB, holdout: 10, test: { share: 20, metric: 'clicks', decideAfterSeconds: 3600 } })).toEqual([]);
    const paths = (s: AbTestSpec) => checkAbTest(s).map((p) => p.path);
    expect(paths({ variants: [{ id: 'a', subject: 'x', weight: 1 }] })).toEqual(['variants']);
    expect(paths({ variants: Array.from({ length: 6 }, (_, i) => ({ id: `v${i}`, subject: 'x', weight: 1 })) })).toEqual(['variants']);
    expect(paths({ variants: [{ id: 'a', subject: 'x', weight: 1 }, { id: 'a', subject: 'y', weight: 1 }] })).toEqual(['variants.1.id']);
    expect(paths({ variants: [{ id: 'a', subject: 'x', weight: 0 }, { id: 'b', subject: 'y', weight: -1 }] })).toEqual(['variants.0.weight', 'variants.1.weight']);
    expect(paths({ variants: [{ id: 'a', weight: 1 }, { id: 'b', subject: 'y', weight: 1 }] })).toEqual(['variants.0']);
    expect(paths({ ...AB, holdout: 100 })).toEqual(['holdout']);
    expect(paths({ ...AB, holdout: 60, test: { share: 50, metric: 'clicks', decideAfterSeconds: 60 } })).toEqual(['test.share']);
    expect(paths({ ...AB, test: { share: 0, metric: 'clicks', decideAfterSeconds: 0 } })).toEqual(['test.share', 'test.decideAfterSeconds']);
  });
});

describe('decideAt', () => {
  const launched = '2026-12-05T20:00:00.000Z';
  it('is decideAfterSeconds after the launch when nobody waited', () => {
    expect(decideAt(launched, 3600)?.toISOString()).toBe('2026-12-05T21:00:00.000Z');
  });
  it('runs from when the last of a test share that waited (local time, quiet hours) was due', () => {
    const waited = [
      { until: '2026-12-06T07:00:00.000Z', n: 0 },
      { until: '2026-12-06T08:00:00.000Z', n: 0 },
    ];
    expect(decideAt(launched, 3600, waited)?.toISOString()).toBe('2026-12-06T09:00:00.000Z');
    // A moment before the launch (recipients whose time had passed are mailed at once) moves nothing.
    expect(decideAt(launched, 3600, [{ until: '2026-12-05T08:00:00.000Z', n: 0 }])?.toISOString()).toBe('2026-12-05T21:00:00.000Z');
  });
  it('is not yet known while anyone of the share still waits', () => {
    expect(decideAt(launched, 3600, [{ until: '2026-12-06T08:00:00.000Z', n: 2 }])).toBeUndefined();
  });
});

describe('pickWinner', () => {
  const launched = '2026-12-05T10:00:00.000Z';
  const at = decideAt(launched, 3600)!;
  const before = new Date(at.getTime() - 1);
  const score = (id: string, delivered: number, humanOpens: number, clicks: number): VariantScore => ({ id, delivered, humanOpens, clicks });

  it('decides nothing before decideAfterSeconds, however clear the lead', () => {
    expect(pickWinner([score('a', 100, 0, 0), score('b', 100, 50, 50)], 'clicks', { now: before, decideAt: at })).toBeUndefined();
  });

  it('picks the best rate per delivered mail on the chosen metric', () => {
    // b has more clicks but also far more mail delivered: a wins on the rate.
    expect(pickWinner([score('a', 40, 0, 10), score('b', 400, 0, 20)], 'clicks', { now: at, decideAt: at })).toEqual({ variant: 'a', reason: 'metric', at: at.toISOString() });
    expect(pickWinner([score('a', 100, 30, 1), score('b', 100, 10, 9)], 'humanOpens', { now: at, decideAt: at })?.variant).toBe('a');
    expect(pickWinner([score('a', 100, 30, 1), score('b', 100, 10, 9)], 'clicks', { now: at, decideAt: at })?.variant).toBe('b');
  });

  it('says so when a tie or too little data leaves the first variant', () => {
    expect(pickWinner([score('a', 100, 10, 5), score('b', 100, 10, 5)], 'clicks', { now: at, decideAt: at })).toEqual({ variant: 'a', reason: 'tie', at: at.toISOString() });
    // A tie between leaders the first variant trails: the first of the leaders, never the one they beat.
    expect(pickWinner([score('a', 100, 10, 1), score('b', 100, 10, 5), score('c', 100, 10, 5)], 'clicks', { now: at, decideAt: at })).toEqual({ variant: 'b', reason: 'tie', at: at.toISOString() });
    expect(pickWinner([score('a', 5, 0, 0), score('b', 100, 10, 5)], 'clicks', { now: at, decideAt: at })).toEqual({ variant: 'a', reason: 'tooLittleData', at: at.toISOString() });
    // Only machine opens (Apple MPP): no human open anywhere, nothing to choose on.
    expect(pickWinner([score('b', 100, 0, 0), score('a', 100, 0, 0)], 'humanOpens', { now: at, decideAt: at })).toEqual({ variant: 'b', reason: 'tooLittleData', at: at.toISOString() });
  });

  it('always names one of the variants once the time has come', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ delivered: fc.nat(500), humanOpens: fc.nat(500), clicks: fc.nat(500) }), { minLength: 2, maxLength: 5 }),
        fc.constantFrom('clicks' as const, 'humanOpens' as const),
        (raw, metric) => {
          const scores = raw.map((r, i) => ({ id: `v${i}`, ...r, humanOpens: Math.min(r.humanOpens, r.delivered), clicks: Math.min(r.clicks, r.delivered) }));
          const d = pickWinner(scores, metric, { now: at, decideAt: at });
          expect(scores.map((s) => s.id)).toContain(d?.variant);
          if (d?.reason === 'tooLittleData') expect(d.variant).toBe('v0');
          // A metric winner or a tied leader: nobody has a better rate.
          if (d?.reason === 'metric' || d?.reason === 'tie') {
            const rate = (s: (typeof scores)[number]) => (metric === 'clicks' ? s.clicks : s.humanOpens) / s.delivered;
            const winner = scores.find((s) => s.id === d.variant)!;
            for (const s of scores) expect(rate(s)).toBeLessThanOrEqual(rate(winner));
          }
        },
      ),
    );
  });
});

describe('variantContent', () => {
  it('overrides the subject only when the variant gives one', () => {
    const t = { id: 't', subject: 'Base', html: '<p/>' };
    expect(variantContent(t, { subject: 'New' })).toEqual({ id: 't', subject: 'New', html: '<p/>' });
    expect(variantContent(t, {})).toBe(t);
  });
});
