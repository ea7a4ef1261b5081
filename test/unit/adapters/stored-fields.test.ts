/** The stores project what they read onto these field lists: each must be exactly its schema's shape. */
import { describe, expect, it } from 'vitest';
import { LEDGER_FIELDS, MESSAGE_FIELDS, project, SEGMENT_FIELDS, SUPPRESSION_FIELDS, TEMPLATE_FIELDS, TOPIC_FIELDS } from '../../../lambdas/adapters/dynamo/stored-fields.ts';
import { LedgerEntrySchema, MessageRecordSchema, SegmentSchema, SuppressionRecordSchema, TemplateRecordSchema, TopicSchema } from '../../../lambdas/schemas/stored.ts';

describe('stored fields', () => {
  it.each([
    ['message', MESSAGE_FIELDS, MessageRecordSchema],
    ['topic', TOPIC_FIELDS, TopicSchema],
    ['template', TEMPLATE_FIELDS, TemplateRecordSchema],
    ['segment', SEGMENT_FIELDS, SegmentSchema],
    ['suppression', SUPPRESSION_FIELDS, SuppressionRecordSchema],
    ['ledger entry', LEDGER_FIELDS, LedgerEntrySchema],
  ] as const)('the %s fields are its schema’s', (_name, fields, schema) => {
    expect([...fields].sort()).toEqual(Object.keys(schema.shape).sort());
  });

  it('a projection keeps the listed fields present (null included) and drops keys, indexes and bookkeeping', () => {
    const item = { pk: 'S#h', sk: 'manual', gsi1pk: 'x', reason: 'manual', scope: 'all', createdAt: '2026-12-06T00:00:00.000Z', source: 'api', note: undefined, expiresAt: null };
    const out = project(item, SUPPRESSION_FIELDS);
    expect(out).toEqual({ reason: 'manual', scope: 'all', createdAt: '2026-12-06T00:00:00.000Z', source: 'api', expiresAt: null });
    expect(SuppressionRecordSchema.omit({ expiresAt: true }).safeParse(out).success).toBe(true);
  });
});
