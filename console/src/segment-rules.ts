/**
 * The segment builder's model: groups (`all` / `any`) of conditions, edited as text fields, and its translation to
 * the API's rules. Pure, so the translation is unit-tested without a browser.
 */

export const FIELDS = ['country', 'locale', 'timeZone', 'createdAt', 'lastOpenedAt', 'lastClickedAt', 'attributes.', 'consent.'] as const;
export const OPS = ['eq', 'ne', 'in', 'notIn', 'exists', 'notExists', 'gt', 'gte', 'lt', 'lte', 'contains', 'withinDays', 'notWithinDays'] as const;
export type Op = (typeof OPS)[number];

export const OP_LABELS: Record<Op, string> = {
  eq: 'is',
  ne: 'is not',
  in: 'is one of',
  notIn: 'is none of',
  exists: 'is set',
  notExists: 'is not set',
  gt: 'is more than',
  gte: 'is at least',
  lt: 'is less than',
  lte: 'is at most',
  contains: 'contains',
  withinDays: 'within the last … days',
  notWithinDays: 'not within the last … days',
};

export interface Condition {
  readonly kind: 'cond';
  /** `country`, …, or `attributes.plan`, `consent.news`. */
  readonly field: string;
  readonly op: Op;
  /** As typed: a list is comma-separated. */
  readonly value: string;
}

export interface Group {
  readonly kind: 'group';
  readonly join: 'all' | 'any';
  readonly children: ReadonlyArray<Condition | Group>;
}

export const newCondition = (): Condition => ({ kind: 'cond', field: 'country', op: 'eq', value: '' });
export const newGroup = (join: 'all' | 'any' = 'all'): Group => ({ kind: 'group', join, children: [newCondition()] });

const takesNoValue = (op: Op) => op === 'exists' || op === 'notExists';
const takesList = (op: Op) => op === 'in' || op === 'notIn';
const numeric = (s: string) => s.trim() !== '' && Number.isFinite(Number(s));

/**
 * The API's rules for a group. Lists are split on commas; day counts and comparisons with a number become numbers;
 * everything else stays text (the API compares a text attribute `"12"` with the number 12 as equal).
 *
 * @example
 * toRules({ kind: 'group', join: 'all', children: [{ kind: 'cond', field: 'country', op: 'in', value: 'DE, AT' }] })
 * // { all: [{ field: 'country', op: 'in', value: ['DE', 'AT'] }] }
 */
export function toRules(g: Group): Record<string, unknown> {
  return {
    [g.join]: g.children.map((c) => {
      if (c.kind === 'group') return toRules(c);
      if (takesNoValue(c.op)) return { field: c.field, op: c.op };
      if (takesList(c.op)) return { field: c.field, op: c.op, value: c.value.split(',').map((v) => v.trim()).filter(Boolean) };
      if (c.op === 'withinDays' || c.op === 'notWithinDays') return { field: c.field, op: c.op, value: numeric(c.value) ? Number(c.value) : c.value };
      if (['gt', 'gte', 'lt', 'lte'].includes(c.op) && numeric(c.value)) return { field: c.field, op: c.op, value: Number(c.value) };
      return { field: c.field, op: c.op, value: c.value };
    }),
  };
}

/** A stored segment's rules, back into the builder's model (what the builder cannot show is kept as text). */
export function fromRules(rules: unknown): Group {
  const r = rules as Record<string, unknown>;
  const join: 'all' | 'any' = Array.isArray(r.any) ? 'any' : 'all';
  const list = (Array.isArray(r[join]) ? r[join] : []) as Array<Record<string, unknown>>;
  return {
    kind: 'group',
    join,
    children: list.map((n) =>
      'field' in n
        ? { kind: 'cond', field: String(n.field), op: (OPS as readonly string[]).includes(String(n.op)) ? (n.op as Op) : 'eq', value: Array.isArray(n.value) ? n.value.join(', ') : n.value === undefined ? '' : String(n.value) }
        : fromRules(n),
    ),
  };
}

/** Replaces the node at `path` (child indexes from the root) with `next`, or removes it when `next` is undefined. */
export function updateAt(root: Group, path: readonly number[], next: Condition | Group | undefined): Group {
  if (path.length === 0) return next && next.kind === 'group' ? next : root;
  const [i, ...rest] = path as [number, ...number[]];
  const children = [...root.children];
  if (rest.length === 0) {
    if (next) children[i] = next;
    else children.splice(i, 1);
  } else {
    children[i] = updateAt(children[i] as Group, rest, next);
  }
  return { ...root, children };
}
