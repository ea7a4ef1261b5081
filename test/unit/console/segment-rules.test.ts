import { describe, expect, it } from 'vitest';
import { fromRules, newCondition, newGroup, toRules, updateAt, type Group } from '../../../console/src/segment-rules.ts';
import { instantIn, timeline } from '../../../console/src/local-time.ts';
import { SegmentRuleSchema } from '../../../lambdas/schemas/segments.ts';

describe('segment builder model', () => {
  const g: Group = {
    kind: 'group',
    join: 'all',
    children: [
      { kind: 'cond', field: 'country', op: 'in', value: 'DE, AT ,' },
      { kind: 'cond', field: 'locale', op: 'exists', value: 'ignored' },
      { kind: 'cond', field: 'attributes.seats', op: 'gte', value: '10' },
      { kind: 'cond', field: 'createdAt', op: 'lt', value: '2026-01-01T00:00:00Z' },
      { kind: 'group', join: 'any', children: [{ kind: 'cond', field: 'lastOpenedAt', op: 'withinDays', value: '30' }, { kind: 'cond', field: 'attributes.plan', op: 'eq', value: 'pro' }] },
    ],
  };

  it('translates to rules the API accepts', () => {
    const rules = toRules(g);
    expect(rules).toEqual({
      all: [
        { field: 'country', op: 'in', value: ['DE', 'AT'] },
        { field: 'locale', op: 'exists' },
        { field: 'attributes.seats', op: 'gte', value: 10 },
        { field: 'createdAt', op: 'lt', value: '2026-01-01T00:00:00Z' },
        { any: [{ field: 'lastOpenedAt', op: 'withinDays', value: 30 }, { field: 'attributes.plan', op: 'eq', value: 'pro' }] },
      ],
    });
    expect(SegmentRuleSchema.safeParse(rules).success).toBe(true);
  });

  it('reads stored rules back', () => {
    expect(toRules(fromRules(toRules(g)))).toEqual(toRules(g));
  });

  it('edits and removes at a path', () => {
    const root = newGroup();
    const added = updateAt(root, [], { ...root, children: [...root.children, newGroup('any')] });
    const edited = updateAt(added, [1, 0], { ...newCondition(), value: 'FR' });
    expect(toRules(edited)).toEqual({ all: [{ field: 'country', op: 'eq', value: '' }, { any: [{ field: 'country', op: 'eq', value: 'FR' }] }] });
    expect(updateAt(edited, [1], undefined).children).toHaveLength(1);
  });
});

describe('local-time timeline', () => {
  it('puts Kiritimati first and Honolulu last, and marks the moments already passed', () => {
    expect(instantIn('2026-12-06T09:00', 'America/Los_Angeles')?.toISOString()).toBe('2026-12-06T17:00:00.000Z');
    const rows = timeline('2026-12-06T09:00', new Date('2026-12-06T09:30:00Z'));
    expect(rows[0]).toMatchObject({ zone: 'Pacific/Kiritimati', late: true });
    expect(rows[0]!.at.toISOString()).toBe('2026-12-05T19:00:00.000Z');
    expect(rows.at(-1)).toMatchObject({ zone: 'Pacific/Honolulu', late: false });
    expect(rows.find((r) => r.zone === 'UTC')).toMatchObject({ late: true });
  });
});
