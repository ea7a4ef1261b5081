/**
 * Segment rules: which recipients of an audience a campaign is for, by what is stored about them. A rule is
 * `{all: [...]}` or `{any: [...]}` of conditions `{field, op, value}` and nested rules. Evaluated by one pure function,
 * used alike by the launch, the sender, the segment preview and the campaign preview. The rule's schema, for the API,
 * is in lambdas/schemas/segments.ts.
 */
import type { SegmentCondition } from '../schemas/segments.ts';

export type { SegmentCondition };

export const SEGMENT_OPS = ['eq', 'ne', 'in', 'notIn', 'exists', 'notExists', 'gt', 'gte', 'lt', 'lte', 'contains', 'withinDays', 'notWithinDays'] as const;
export type SegmentOp = (typeof SEGMENT_OPS)[number];

/** Fields a condition may name; `attributes.<name>` and `consent.<topic>` take a name after the dot. */
export const SEGMENT_FIELD = /^(?:country|locale|timeZone|createdAt|lastOpenedAt|lastClickedAt|attributes\.[A-Za-z_][A-Za-z0-9_.-]{0,63}|consent\.[a-z0-9][a-z0-9_-]{0,63})$/;

/** Fields holding an instant: compared as times, and the only ones `withinDays` / `notWithinDays` apply to. */
export const DATE_FIELDS: ReadonlySet<string> = new Set(['createdAt', 'lastOpenedAt', 'lastClickedAt']);

export type SegmentRule = { readonly all: readonly SegmentNode[] } | { readonly any: readonly SegmentNode[] };
export type SegmentNode = SegmentCondition | SegmentRule;

/** Deepest nesting of rules, and most conditions in one segment: a segment is read for every recipient at launch. */
export const MAX_RULE_DEPTH = 5;
export const MAX_CONDITIONS = 100;

/** Checks the limits the schema cannot: depth and total conditions. Returns a problem, or undefined. */
export function ruleLimits(rule: SegmentRule): string | undefined {
  let conditions = 0;
  const walk = (node: SegmentNode, depth: number): string | undefined => {
    if (depth > MAX_RULE_DEPTH) return `rules nest at most ${MAX_RULE_DEPTH} deep`;
    if ('field' in node) {
      conditions++;
      return undefined;
    }
    for (const child of 'all' in node ? node.all : node.any) {
      const p = walk(child, depth + 1);
      if (p) return p;
    }
    return undefined;
  };
  const problem = walk(rule, 1);
  if (problem) return problem;
  return conditions > MAX_CONDITIONS ? `at most ${MAX_CONDITIONS} conditions in a segment` : undefined;
}

/** The topics whose consent a rule reads (`consent.<topic>`): the sender reads those consents with the profile. */
export function consentTopicsOf(rule: SegmentRule | undefined): string[] {
  const topics = new Set<string>();
  const walk = (node: SegmentNode) => {
    if ('field' in node) {
      if (node.field.startsWith('consent.')) topics.add(node.field.slice(8));
    } else for (const child of 'all' in node ? node.all : node.any) walk(child);
  };
  if (rule) walk(rule);
  return [...topics];
}

/** What a segment can see of a recipient. */
export interface SegmentSubject {
  readonly country?: string | undefined;
  readonly locale?: string | undefined;
  /** The effective zone (their own, their country's, or the stage default). */
  readonly timeZone?: string | undefined;
  readonly createdAt?: string | undefined;
  /** Last human open and click (machine opens and scanner clicks never count). */
  readonly lastOpenedAt?: string | undefined;
  readonly lastClickedAt?: string | undefined;
  readonly attributes: Readonly<Record<string, unknown>>;
  /** Consent status per topic (`opted_in`, `opted_out`, `pending`); a topic never answered is absent. */
  readonly consents: Readonly<Record<string, string>>;
}

function fieldValue(subject: SegmentSubject, field: string): unknown {
  if (field.startsWith('attributes.')) {
    const name = field.slice(11);
    return Object.hasOwn(subject.attributes, name) ? subject.attributes[name] : undefined;
  }
  if (field.startsWith('consent.')) {
    const topic = field.slice(8);
    return Object.hasOwn(subject.consents, topic) ? subject.consents[topic] : undefined;
  }
  return (subject as unknown as Record<string, unknown>)[field];
}

const present = (v: unknown) => v !== undefined && v !== null && v !== '';

/** A number, or a string that is one (CSV imports store every attribute as text; the console sends typed values). */
const numberOf = (v: unknown): number | undefined =>
  typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : undefined;

/**
 * Compares for gt/gte/lt/lte: times on date fields, numbers when both are numbers or numeric text (`"9"` is less than
 * `"18"`), else strings. A number against non-numeric text is NaN: no match.
 */
function compare(field: string, actual: unknown, wanted: unknown): number {
  if (DATE_FIELDS.has(field)) return Date.parse(String(actual)) - Date.parse(String(wanted));
  const [a, w] = [numberOf(actual), numberOf(wanted)];
  if (a !== undefined && w !== undefined) return a - w;
  if (typeof actual === 'number' || typeof wanted === 'number') return Number.NaN;
  return String(actual) < String(wanted) ? -1 : String(actual) > String(wanted) ? 1 : 0;
}

/**
 * eq/in: the same value, whichever side is text: the string `"3"` equals the number 3 and `"true"` (any case) the
 * boolean true, both ways round (CSV imports store text, the JSON API keeps types, the console sends text).
 */
export function sameValue(actual: unknown, wanted: unknown): boolean {
  if (actual === wanted) return true;
  if (typeof actual === 'boolean' || typeof wanted === 'boolean') {
    const text = typeof actual === 'boolean' ? wanted : actual;
    const flag = typeof actual === 'boolean' ? actual : wanted;
    return typeof text === 'string' && text.trim().toLowerCase() === String(flag);
  }
  if (typeof actual === 'number' || typeof wanted === 'number') {
    const [a, w] = [numberOf(actual), numberOf(wanted)];
    return a !== undefined && a === w;
  }
  return false;
}

/** A rule's value as the field is stored: countries are kept upper-case (`de` in a rule means `DE`). */
const asStored = (field: string, v: unknown): unknown => (field === 'country' && typeof v === 'string' ? v.trim().toUpperCase() : v);

/**
 * Whether one condition holds. A missing field matches only `notExists`, `ne`, `notIn` and `notWithinDays` ("never
 * opened" is not opened within 30 days). `contains` is a case-insensitive substring test. `withinDays: n` holds for
 * an instant in the `n` days up to `now`.
 *
 * @example
 * matchesCondition({ attributes: { plan: 'pro' }, consents: {} }, { field: 'attributes.plan', op: 'in', value: ['pro', 'team'] }, new Date()) // true
 */
export function matchesCondition(subject: SegmentSubject, c: SegmentCondition, now: Date): boolean {
  const actual = fieldValue(subject, c.field);
  const has = present(actual);
  switch (c.op) {
    case 'exists':
      return has;
    case 'notExists':
      return !has;
    case 'eq':
      return has && sameValue(actual, asStored(c.field, c.value));
    case 'ne':
      return !has || !sameValue(actual, asStored(c.field, c.value));
    case 'in':
      return has && (c.value as unknown[]).some((v) => sameValue(actual, asStored(c.field, v)));
    case 'notIn':
      return !has || !(c.value as unknown[]).some((v) => sameValue(actual, asStored(c.field, v)));
    case 'gt':
      return has && compare(c.field, actual, c.value) > 0;
    case 'gte':
      return has && compare(c.field, actual, c.value) >= 0;
    case 'lt':
      return has && compare(c.field, actual, c.value) < 0;
    case 'lte':
      return has && compare(c.field, actual, c.value) <= 0;
    case 'contains':
      return has && String(actual).toLowerCase().includes(String(c.value).toLowerCase());
    case 'withinDays':
    case 'notWithinDays': {
      const t = has ? Date.parse(String(actual)) : Number.NaN;
      const within = !Number.isNaN(t) && t <= now.getTime() && t >= now.getTime() - Number(c.value) * 86_400_000;
      return c.op === 'withinDays' ? within : !within;
    }
  }
}

/**
 * Whether a recipient is in the segment: every child of `all` holds, or at least one of `any`.
 *
 * @example
 * matchesSegment({ country: 'DE', attributes: {}, consents: {} },
 *   { any: [{ field: 'country', op: 'eq', value: 'DE' }, { all: [{ field: 'country', op: 'eq', value: 'US' }, { field: 'locale', op: 'exists' }] }] },
 *   new Date()) // true
 */
export function matchesSegment(subject: SegmentSubject, rule: SegmentNode, now: Date): boolean {
  if ('field' in rule) return matchesCondition(subject, rule, now);
  if ('all' in rule) return rule.all.every((child) => matchesSegment(subject, child, now));
  return rule.any.some((child) => matchesSegment(subject, child, now));
}
