/**
 * What SES tells us after a send keeps the lists clean: a permanent bounce suppresses all mail to the address; a
 * complaint suppresses marketing and is ledgered as an unsubscribe from all marketing (source `complaint`);
 * transient bounces about the mailbox are remembered per address and, after `softBounces.limit` of them within the
 * window, suppress marketing for a while (`soft_bounce`); deliveries, rejects, delays and rendering failures are
 * recorded. A bounce or complaint SES made up from its account-level list, and a `not-spam` report, act on nobody
 * (domain/ses-events.ts). Each event is applied once however often it arrives, and in whatever order. Bounces and
 * complaints also go to the recent-feedback list ops read (masked).
 *
 * The day's figures are not written here (issue 17): the messages table's stream counts each recorded event once per
 * batch (services/message-figures.ts), from the record's `deliveredAt` and from each feedback event item, which carries
 * its message's class and series for that; the marketing auto-pause is judged there too, after a batch that counted a
 * hard bounce or complaint. Only the suppressions added are counted here (they are not in the messages table).
 */
import { createHash } from 'node:crypto';
import { DELIVERY_RANK, deliveryRankOf, isAccountSuppressed, isNotSpam, type Feedback } from '../domain/ses-events.ts';
import { addressHash, maskEmailAndDomain, normalizeEmail } from '../domain/email-address.ts';
import { DEFAULT_SOFT_BOUNCE_POLICY, isMailboxBounce, softBounceEntry, softBounceVerdict } from '../domain/soft-bounces.ts';
import type { CounterDims } from '../adapters/dynamo/counters.ts';
import { isRecentFeedback } from '../adapters/dynamo/feedback-store.ts';
import type { MessageRecord, SuppressionRecord } from '../schemas/model.ts';
import type { StoredMessageRecord } from '../adapters/dynamo/message-store.ts';
import { dimsOf, type Deps } from './deps.ts';
import { retentionExpiry } from './send.ts';
import { setPreferences } from './recipients.ts';

/** `ignored`: SES's `Send` event for a message its sender recorded as sent (the usual case: nothing to do). */
export type FeedbackOutcome = 'applied' | 'duplicate' | 'unknown_message' | 'ignored';

export interface FeedbackResult {
  readonly outcome: FeedbackOutcome;
}

const hashOf = (s: string) => createHash('sha256').update(s).digest('base64url').slice(0, 16);

export async function processFeedback(deps: Deps, f: Feedback): Promise<FeedbackResult> {
  if (f.kind === 'sent') return recordAccepted(deps, f);
  if (f.kind === 'delivered') return recordDelivered(deps, f);
  const record = f.messageId ? await deps.messages.getRecord(f.messageId) : undefined;
  // Neither is about the person: recorded and listed, acting on no address (domain/ses-events.ts says why).
  const actsOnAddress = !isAccountSuppressed(f.kind, f.detail) && !isNotSpam(f.kind, f.detail);
  // Feedback for mail Sendwell did not send (or whose record expired) still cleans the lists, uncounted.
  const dims: CounterDims = record ? dimsOf(record) : {};
  // The event item carries what counting it needs (the stream counts it: services/message-figures.ts). A duplicate
  // still cleans the lists below: the delivery before may have died after its event item, and each step is
  // idempotent (a suppression put if new and counted only then, an unsubscribe only if not yet, recent by event).
  const event = record ? await recordEvent(deps, record, f, record) : undefined;
  if (isRecentFeedback(f.kind)) {
    const keys = await deps.keys();
    for (const [i, raw] of f.addresses.entries()) {
      const n = normalizeEmail(raw);
      if (!n.ok) continue;
      const hash = addressHash(n.address, keys.addressPepper);
      const eventHash = hashOf(`${f.eventKey}#${i}`);
      if (f.kind === 'bounced_soft') {
        if (isMailboxBounce(f.detail)) await rememberSoftBounce(deps, f, hash, eventHash, dims);
      } else if (actsOnAddress) {
        await suppress(
          deps,
          hash,
          {
            reason: f.kind === 'bounced_hard' ? 'hard_bounce' : 'complaint',
            scope: f.kind === 'bounced_hard' ? 'all' : 'marketing',
            createdAt: f.at,
            source: `ses:${f.eventKey.split(':')[0]}`,
            ...(f.detail.bounceSubType ? { note: `${f.detail.bounceType}/${f.detail.bounceSubType}` } : {}),
          },
          f.at,
          dims,
        );
        if (f.kind === 'complained') {
          const id = await deps.recipients.findIdByAddressHash(hash);
          if (id) await setPreferences(deps, id, { unsubscribedAll: true, source: 'complaint', evidence: { at: f.at, wording: 'ses-complaint' } }, 'ses', dims);
        }
      }
      const detail = f.detail.bounceSubType ? `${f.detail.bounceType}/${f.detail.bounceSubType}` : (f.detail.complaintSubType ?? f.detail.feedbackType);
      const entry = {
        at: f.at,
        kind: f.kind,
        address: maskEmailAndDomain(n.address),
        ...(detail ? { detail } : {}),
        ...(record ? { messageId: record.messageId, class: record.class } : {}),
        ...(record?.topic ? { topic: record.topic } : {}),
        ...(record?.campaignId ? { campaignId: record.campaignId } : {}),
      };
      await deps.feedback.addRecent(eventHash, entry, record?.expiresAt);
    }
  }
  // A record gone since it was read (erased meanwhile): nothing was kept of the event on it.
  return { outcome: !event || event.gone ? 'unknown_message' : event.duplicate ? 'duplicate' : 'applied' };
}

/**
 * SES's `Send`: it repeats what markSent wrote, so it is neither stored nor counted (issue 17: it was an event item,
 * a record update and three counters per mail). It still matters for a send left in doubt (the sender died, or SES's
 * answer was lost, around the call): SES took the mail, and within a second, well before any Delivery. For that
 * message alone it becomes the record's delivery status, which the sender's reconcile reads as "it went out"
 * (campaign-sender.ts), so the mail is never sent again however long its delivery takes. One read otherwise.
 */
async function recordAccepted(deps: Deps, f: Feedback): Promise<FeedbackResult> {
  const record = f.messageId ? await deps.messages.getRecord(f.messageId) : undefined;
  if (!record) return { outcome: 'unknown_message' };
  if (record.status !== 'sending' || record.deliveryStatus) return { outcome: 'ignored' };
  const { duplicate, gone } = await recordEvent(deps, record, f);
  return { outcome: gone ? 'unknown_message' : duplicate ? 'duplicate' : 'applied' };
}

/**
 * The SES event on its message: the record's delivery status moved forward, the event kept as long as the record and
 * never longer (it would outlive what export and erasure find it by). With `counted`, the item carries the message's
 * class and series, so the messages stream counts it (a `Send` has none).
 */
const recordEvent = (deps: Deps, record: StoredMessageRecord, f: Feedback, counted?: Pick<MessageRecord, 'class' | 'topic' | 'campaignId' | 'variant'>) =>
  deps.messages.recordFeedback(record.messageId, {
    kind: f.kind,
    rank: deliveryRankOf(f),
    eventKey: f.eventKey,
    at: f.at,
    detail: { ...f.detail },
    expiresAt: Math.min(retentionExpiry(deps, new Date(f.at)), record.expiresAt ?? Number.POSITIVE_INFINITY),
    ...(counted ? { counted: { class: counted.class, ...(counted.topic ? { topic: counted.topic } : {}), ...(counted.campaignId ? { campaignId: counted.campaignId } : {}), ...(counted.variant ? { variant: counted.variant } : {}) } } : {}),
  });

/**
 * A routine delivery, the one event of almost every mail: one conditional write on the record (no read before it, no
 * event item: lambdas/adapters/dynamo/message-store.ts `recordDelivery`). The stream counts it from `deliveredAt`.
 */
async function recordDelivered(deps: Deps, f: Feedback): Promise<FeedbackResult> {
  if (!f.messageId) return { outcome: 'unknown_message' };
  const done = await deps.messages.recordDelivery(f.messageId, f.at, DELIVERY_RANK.delivered);
  return { outcome: done.outcome };
}

/**
 * Adds a suppression unless one of that reason is in force, and counts it when it was added. One in force that lapses
 * sooner is only extended (later soft bounces): the same suppression, not counted again.
 */
async function suppress(deps: Deps, hash: string, record: SuppressionRecord, at: string, dims: CounterDims): Promise<void> {
  if ((await deps.suppressions.putIfNew(hash, record, deps.clock())) === true) {
    await deps.messages.count(at, { suppressions_added: 1, [`suppressions_added_${record.reason}`]: 1 }, dims);
  }
}

/**
 * Remembers a transient bounce and judges the address's bounces in the window. The verdict depends only on the set
 * of bounces (a duplicate adds nothing to the set), and the suppression derives its dates from them, so replaying or
 * reordering the events writes the same record once.
 */
async function rememberSoftBounce(deps: Deps, f: Feedback, hash: string, eventHash: string, dims: CounterDims): Promise<void> {
  const policy = deps.softBounces ?? DEFAULT_SOFT_BOUNCE_POLICY;
  const expiresAt = Math.floor(Date.parse(f.at) / 1000) + policy.windowDays * 86_400;
  const entries = await deps.feedback.addSoftBounce(hash, softBounceEntry(f.at, eventHash), expiresAt);
  const verdict = softBounceVerdict(entries, policy);
  await deps.feedback.forgetSoftBounces(hash, verdict.stale);
  if (!verdict.suppress || !verdict.since || !verdict.expiresAt) return;
  await suppress(
    deps,
    hash,
    {
      reason: 'soft_bounce',
      scope: 'marketing',
      createdAt: verdict.since,
      expiresAt: verdict.expiresAt,
      source: 'ses:bounce',
      note: `${verdict.inWindow} transient bounces within ${policy.windowDays} days`,
    },
    f.at,
    dims,
  );
}
