/**
 * What SES tells us after a send keeps the lists clean: a permanent bounce suppresses all mail to the address; a
 * complaint suppresses marketing and is ledgered as an unsubscribe from all marketing (source `complaint`);
 * transient bounces, deliveries, rejects, delays and rendering failures are recorded and counted. Each event is
 * applied once however often it arrives, and in whatever order.
 */
import { DELIVERY_RANK, type Feedback } from '../domain/ses-events.ts';
import { addressHash, normalizeEmail } from '../domain/email-address.ts';
import { dimsOf, type Deps } from './deps.ts';
import { DEFAULT_RETENTION_DAYS } from './send.ts';
import { setPreferences } from './recipients.ts';

export type FeedbackOutcome = 'applied' | 'duplicate' | 'unknown_message';

export async function processFeedback(deps: Deps, f: Feedback): Promise<FeedbackOutcome> {
  const record = f.messageId ? await deps.messages.getRecord(f.messageId) : undefined;
  // Feedback for mail Sendwell did not send (or whose record expired) still cleans the lists, uncounted.
  if (record) {
    const expiresAt = Math.floor(Date.parse(f.at) / 1000) + (deps.retentionDays ?? DEFAULT_RETENTION_DAYS) * 86_400;
    const { duplicate } = await deps.messages.recordFeedback(record.messageId, { kind: f.kind, rank: DELIVERY_RANK[f.kind], eventKey: f.eventKey, at: f.at, detail: { ...f.detail }, expiresAt });
    if (duplicate) return 'duplicate';
    await deps.messages.count(f.at, { [f.kind]: 1, [`${f.kind}_${record.class}`]: 1 }, dimsOf(record));
  }
  if (f.kind === 'bounced_hard' || f.kind === 'complained') {
    const keys = await deps.keys();
    for (const raw of f.addresses) {
      const n = normalizeEmail(raw);
      if (!n.ok) continue;
      const hash = addressHash(n.address, keys.addressPepper);
      await deps.suppressions.put(hash, {
        reason: f.kind === 'bounced_hard' ? 'hard_bounce' : 'complaint',
        scope: f.kind === 'bounced_hard' ? 'all' : 'marketing',
        createdAt: f.at,
        source: `ses:${f.eventKey.split(':')[0]}`,
        ...(f.detail.bounceSubType ? { note: `${f.detail.bounceType}/${f.detail.bounceSubType}` } : {}),
      });
      if (f.kind === 'complained') {
        const id = await deps.recipients.findIdByAddressHash(hash);
        if (id) await setPreferences(deps, id, { unsubscribedAll: true, source: 'complaint', evidence: { at: f.at, wording: 'ses-complaint' } }, 'ses');
      }
    }
  }
  return record ? 'applied' : 'unknown_message';
}
