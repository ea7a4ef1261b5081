import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { groupsOf } from '../../../lambdas/adapters/dynamo/tables.ts';

describe('groupsOf', () => {
  it('cuts a list into groups of a batch size, in order', () => {
    expect(groupsOf([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(groupsOf([], 25)).toEqual([]);
  });

  it('by weight: no group over the size unless one item alone is, nothing lost or reordered', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 40 }), { maxLength: 200 }), fc.integer({ min: 1, max: 100 }), (weights, size) => {
        const groups = groupsOf(weights, size, (w) => w);
        expect(groups.flat()).toEqual(weights);
        for (const g of groups) {
          const sum = g.reduce((a, b) => a + b, 0);
          if (g.length > 1) expect(sum).toBeLessThanOrEqual(size);
          expect(g.length).toBeGreaterThan(0);
        }
        // Greedy: each group but the last could not take the next group's first item.
        groups.slice(0, -1).forEach((g, i) => expect(g.reduce((a, b) => a + b, 0) + groups[i + 1]![0]!).toBeGreaterThan(size));
      }),
    );
  });
});
