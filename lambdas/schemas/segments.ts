/**
 * Segment rules as zod schemas: what the API takes for a segment, a campaign's audience filter and a journey's branch.
 * The rule's evaluation (lambdas/domain/segments.ts) imports only their types, so a function that evaluates rules
 * loads no validation library.
 */
import * as z from 'zod';
import { DATE_FIELDS, MAX_CONDITIONS, SEGMENT_FIELD, SEGMENT_OPS, type SegmentRule } from '../domain/segments.ts';

const Scalar = z.union([z.string().max(1000), z.number(), z.boolean()]);

export const SegmentConditionSchema = z
  .object({
    field: z.string().regex(SEGMENT_FIELD, 'one of country, locale, timeZone, createdAt, lastOpenedAt, lastClickedAt, attributes.<name>, consent.<topic>'),
    op: z.enum(SEGMENT_OPS),
    value: z.union([Scalar, z.array(Scalar).max(500)]).optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    const list = Array.isArray(c.value);
    const problem = (message: string) => ctx.addIssue({ code: 'custom', path: ['value'], message });
    if (c.op === 'exists' || c.op === 'notExists') {
      if (c.value !== undefined) problem(`${c.op} takes no value`);
    } else if (c.op === 'in' || c.op === 'notIn') {
      if (!list || (c.value as unknown[]).length === 0) problem(`${c.op} takes a non-empty list`);
    } else if (c.op === 'withinDays' || c.op === 'notWithinDays') {
      if (typeof c.value !== 'number' || !Number.isInteger(c.value) || c.value < 0 || c.value > 3650) problem(`${c.op} takes a whole number of days (0-3650)`);
      else if (!DATE_FIELDS.has(c.field)) ctx.addIssue({ code: 'custom', path: ['field'], message: `${c.op} applies to createdAt, lastOpenedAt, lastClickedAt` });
    } else if (c.value === undefined || list) {
      problem(`${c.op} takes one value`);
    } else if (c.op === 'contains' && typeof c.value !== 'string') {
      problem('contains takes a string');
    }
  });
export type SegmentCondition = z.infer<typeof SegmentConditionSchema>;

export const SegmentRuleSchema: z.ZodType<SegmentRule> = z.lazy(() =>
  z.union([
    z.object({ all: z.array(z.union([SegmentConditionSchema, SegmentRuleSchema])).min(1).max(MAX_CONDITIONS) }).strict(),
    z.object({ any: z.array(z.union([SegmentConditionSchema, SegmentRuleSchema])).min(1).max(MAX_CONDITIONS) }).strict(),
  ]),
) as unknown as z.ZodType<SegmentRule>;
