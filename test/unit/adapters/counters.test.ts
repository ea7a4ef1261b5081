import { describe, expect, it } from 'vitest';
import { addFigures, COUNTER_SHARDS, counterKeys, counterPk, counterShardPks, variantSeries } from '../../../lambdas/adapters/dynamo/counters.ts';

describe('day counters, sharded', () => {
  it('keeps shard 0 on the unsharded key, so figures written before sharding are still read', () => {
    expect(counterPk('ALL', 0)).toBe('ALL');
    expect(counterPk('T#news', 3)).toBe('T#news#3');
    expect(counterShardPks('C#cmp_1')).toEqual(['C#cmp_1', ...Array.from({ length: COUNTER_SHARDS - 1 }, (_, i) => `C#cmp_1#${i + 1}`)]);
  });

  it('writes one event to the same shard of each of its series, on its day', () => {
    expect(counterKeys('2026-11-22T10:00:00.000Z', { topic: 'news', campaign: 'cmp_1' }, 5)).toEqual([
      { pk: 'ALL#5', sk: 'D#2026-11-22' },
      { pk: 'T#news#5', sk: 'D#2026-11-22' },
      { pk: 'C#cmp_1#5', sk: 'D#2026-11-22' },
    ]);
    expect(counterKeys('2026-11-22T10:00:00.000Z', {}, 0)).toEqual([{ pk: 'ALL', sk: 'D#2026-11-22' }]);
  });

  it('adds an A/B test variant’s own series to its campaign’s, never without the campaign', () => {
    expect(counterKeys('2026-11-22T10:00:00.000Z', { campaign: 'cmp_1', variant: 'b' }, 2)).toEqual([
      { pk: 'ALL#2', sk: 'D#2026-11-22' },
      { pk: 'C#cmp_1#2', sk: 'D#2026-11-22' },
      { pk: `${variantSeries('cmp_1', 'b')}#2`, sk: 'D#2026-11-22' },
    ]);
    expect(variantSeries('cmp_1', 'b')).toBe('C#cmp_1#V#b');
    expect(counterKeys('2026-11-22T10:00:00.000Z', { variant: 'b' }, 0)).toEqual([{ pk: 'ALL', sk: 'D#2026-11-22' }]);
  });

  it('spreads writes over every shard, and only over the shards a read sums', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) seen.add(counterKeys('2026-11-22T10:00:00.000Z', {})[0]!.pk);
    expect([...seen].sort()).toEqual(counterShardPks('ALL').sort());
  });

  it('sums figures of shards, figure by figure', () => {
    expect(addFigures(addFigures({}, { sent_marketing: 2, opens_total: 1 }), { sent_marketing: 3, bounced_hard: 1 })).toEqual({ sent_marketing: 5, opens_total: 1, bounced_hard: 1 });
  });
});
