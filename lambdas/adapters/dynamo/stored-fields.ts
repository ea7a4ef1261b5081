/**
 * The fields of each stored noun the API shows, by name: a store hands back what it reads as these fields only (keys,
 * index attributes and bookkeeping left out). Items are written by the stores alone, from values the API already
 * validated, so reading them back is a projection, not a second validation: the public routes that read a message,
 * a topic or a suppression load no validation library (issue 17). Each list is the shape of its zod schema in
 * lambdas/schemas/stored.ts, a unit test keeps them equal (test/unit/adapters/stored-fields.test.ts).
 */
export const MESSAGE_FIELDS = [
  'messageId', 'status', 'reason', 'class', 'template', 'topic', 'campaignId', 'variant', 'until', 'deferral', 'decidedAt', 'recipientId',
  'sesMessageId', 'sentAt', 'deliveryStatus', 'deliveryAt', 'error', 'createdAt', 'updatedAt', 'links', 'opens', 'humanOpens', 'machineOpens',
  'firstOpenAt', 'clicks', 'humanClicks', 'machineClicks', 'firstClickAt', 'events',
] as const;
export const TOPIC_FIELDS = ['id', 'name', 'description', 'doubleOptIn', 'createdAt', 'updatedAt', 'frequencyCap'] as const;
export const TEMPLATE_FIELDS = ['id', 'class', 'topic', 'subject', 'html', 'text', 'createdAt', 'updatedAt'] as const;
export const SEGMENT_FIELDS = ['id', 'name', 'description', 'rules', 'createdAt', 'updatedAt', 'createdBy'] as const;
export const SUPPRESSION_FIELDS = ['reason', 'scope', 'createdAt', 'expiresAt', 'source', 'note'] as const;
export const LEDGER_FIELDS = ['at', 'recipientId', 'subject', 'from', 'to', 'source', 'jurisdiction', 'wording', 'evidenceAt', 'ipPseudonym', 'userAgent', 'actor', 'note'] as const;

/** `item`'s `fields` that are present, as `T` (the store's own items: see above). */
export function project<T>(item: Record<string, unknown>, fields: readonly string[]): T {
  const out: Record<string, unknown> = {};
  for (const f of fields) if (item[f] !== undefined) out[f] = item[f];
  return out as T;
}
