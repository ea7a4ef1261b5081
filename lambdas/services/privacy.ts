/**
 * The rights the policies promise: see everything held about a person (export), prove consent, and delete (erase),
 * keeping only a keyed hash of the address as a tombstone so it can never become mailable for marketing again by
 * accident. A fresh explicit opt-in with evidence lifts the tombstone (consent-changes.ts, and the confirm link:
 * recipients.ts `confirmOptIn`); {@link liftLedgeredTombstone} carries out what the ledger records of it.
 */
import { campaignMessageId } from '../domain/campaign.ts';
import { SendwellError } from '../domain/errors.ts';
import type { LedgerEntry, MessageRecord, Recipient, SuppressionRecord } from '../schemas/model.ts';
import type { Actor, Deps } from './deps.ts';
import type { Enrolment } from '../adapters/dynamo/journey-store.ts';
import { ledgerEntry, view } from './recipient-records.ts';
import { recordOutcome } from '../domain/campaign-outcome.ts';

export const EXPORT_FORMAT = 'sendwell.export.v1';

export interface RecipientExport {
  readonly format: typeof EXPORT_FORMAT;
  readonly exportedAt: string;
  readonly recipient: Recipient;
  readonly ledger: readonly LedgerEntry[];
  readonly suppressions: readonly SuppressionRecord[];
  /** Every message record with its events (sends, opens and clicks with pseudonymized IPs). */
  readonly messages: readonly MessageRecord[];
  /** Every journey the person is or was in: where they are, and the trigger event's properties kept as template data. */
  readonly journeys: readonly ExportedEnrolment[];
  /** The marketing send log the frequency caps read: which message took a slot, when. */
  readonly sendLog: ReadonlyArray<{ readonly messageId: string; readonly at: string }>;
}

type ExportedEnrolment = Pick<Enrolment, 'journeyId' | 'run' | 'step' | 'status' | 'enrolledAt' | 'updatedAt' | 'data' | 'sent' | 'exitReason'>;

export async function exportRecipient(deps: Deps, id: string): Promise<RecipientExport> {
  const agg = await deps.recipients.get(id);
  if (!agg) throw new SendwellError('not_found', `No recipient ${id}.`);
  const recipient = await view(deps, agg);
  const [ledger, ids, enrolments, sendLog] = await Promise.all([deps.recipients.fullLedger(id), messageIds(deps, id), deps.journeys.enrolmentsOf(id), deps.delivery.sendLogOf(id)]);
  const messages = (await Promise.all(ids.map((m) => deps.messages.get(m))))
    .filter((m): m is MessageRecord => m !== undefined)
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  return {
    format: EXPORT_FORMAT,
    exportedAt: deps.clock().toISOString(),
    recipient,
    ledger,
    suppressions: recipient.suppressions,
    messages,
    journeys: enrolments.map((e) => ({
      journeyId: e.journeyId,
      run: e.run,
      step: e.step,
      status: e.status,
      enrolledAt: e.enrolledAt,
      updatedAt: e.updatedAt,
      ...(e.data ? { data: e.data } : {}),
      ...(e.sent ? { sent: e.sent } : {}),
      ...(e.exitReason ? { exitReason: e.exitReason } : {}),
    })),
    sendLog,
  };
}

/**
 * Carries out the lift of an erasure tombstone a ledger entry records (`suppression:erased` → `lifted`). The
 * ledger's reader calls it for every new entry (handlers/relay-ledger-stream.ts): a lift ledgered on a public page,
 * whose function may not write suppressions, is done a moment later; one done at once already (the admin API) finds
 * nothing to do. Only a tombstone made before the entry goes, and only while the person is there: someone erased
 * again since keeps the new one. True when this call lifted it.
 */
export async function liftLedgeredTombstone(
  deps: { readonly recipients: Pick<Deps['recipients'], 'getProfile'>; readonly suppressions: Pick<Deps['suppressions'], 'remove'> },
  entry: { readonly pk: string; readonly subject: string; readonly to: string | null; readonly at: string },
): Promise<boolean> {
  if (entry.subject !== 'suppression:erased' || entry.to !== 'lifted' || !entry.pk.startsWith('R#')) return false;
  const profile = await deps.recipients.getProfile(entry.pk.slice(2));
  if (!profile) return false;
  return (await deps.suppressions.remove(profile.addressHash, 'erased', { madeBefore: entry.at })) !== undefined;
}

export interface ErasureReport {
  readonly recipientId: string;
  readonly erased: boolean;
  readonly removed: { readonly recipientItems: number; readonly ledgerEntries: number; readonly messages: number; readonly messageItems: number };
  /** Kept: a keyed hash of the address, so marketing stays held (`erased`). */
  readonly tombstone: boolean;
}

/**
 * Deletes everything held about a recipient in every table, and leaves the tombstone. Safe to repeat: an id with
 * nothing left reports nothing removed.
 */
export async function eraseRecipient(deps: Deps, id: string, actor: Actor): Promise<ErasureReport> {
  const agg = await deps.recipients.get(id);
  if (!agg) {
    return { recipientId: id, erased: false, removed: { recipientItems: 0, ledgerEntries: 0, messages: 0, messageItems: 0 }, tombstone: false };
  }
  const hash = agg.profile.addressHash;
  // The tombstone first: if anything below fails half-way, the address is already unmailable for marketing.
  await deps.suppressions.put(hash, { reason: 'erased', scope: 'all', createdAt: deps.clock().toISOString(), source: `erasure:${actor}` });
  // The last ledger entry: deleted with the rest below, but the ledger's stream has carried it to the partner relay
  // (`recipient.erased`), so partners erase too.
  const keys = await deps.keys();
  const at = deps.clock().toISOString();
  await deps.recipients.apply(id, { at, ledger: [ledgerEntry(keys, { id, country: agg.profile.country }, 'recipient', 'active', 'erased', { source: 'admin', actor }, at)] });
  // With those an earlier erasure that stopped part-way remembered: their records may be gone, and with them the
  // ways to find them.
  const ids = [...new Set([...(await messageIds(deps, id)), ...(await deps.messages.erasingIds(id))])];
  if (ids.length) await deps.messages.rememberErasing(id, ids);
  for (const m of ids) await settleCampaignMessage(deps, m, at);
  let messageItems = 0;
  // The recent-feedback list names a message (a campaign's id embeds the person's): its entries go with it.
  for (const m of ids) messageItems += await deps.messages.deleteMessage(m, (events) => deps.feedback.forgetMessage(m, events));
  messageItems += await deps.messages.deleteEngagement(id);
  const { recipients, ledger } = await deps.recipients.erase(id, hash);
  await deps.messages.count(deps.clock().toISOString(), { erasures: 1 });
  return { recipientId: id, erased: true, removed: { recipientItems: recipients, ledgerEntries: ledger, messages: ids.length, messageItems }, tombstone: true };
}

/**
 * Every message of a recipient: those in the messages table's recipient index, and the campaign messages, which are
 * not in it (issue 17: a write unit per mail) — their ids derive from campaign and recipient, so each campaign is
 * asked once (100 keys a read). Campaigns are never deleted, so none is missed.
 */
async function messageIds(deps: Deps, recipientId: string): Promise<string[]> {
  const [indexed, campaigns] = await Promise.all([deps.messages.idsByRecipient(recipientId), deps.campaigns.ids()]);
  const fromCampaigns = await deps.messages.existing(campaigns.map((c) => campaignMessageId(c, recipientId)));
  return [...new Set([...indexed, ...fromCampaigns])];
}

/**
 * A campaign message's record is about to be deleted. The messages stream counts a campaign recipient when their
 * record becomes final, and a batch that meets the recipient gone later counts them unless their message is marked:
 * so the record is made final first, unless it is (held `erased`: a wait, and its campaign's wait count with it; a
 * claim, even one a sender is at SES with; an attempt about to be retried; each conditional on what was read, and
 * read again if someone moved it meanwhile), then the message is marked (`CampaignStore.markGone`). Repeating this
 * (an erasure resumed) changes nothing.
 */
async function settleCampaignMessage(deps: Deps, messageId: string, at: string): Promise<void> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const r = await deps.messages.getRecord(messageId);
    if (!r?.campaignId) return;
    if (!recordOutcome(r)) {
      const moved =
        r.status === 'deferred' && r.until
          ? await deps.messages.leaveDeferred(messageId, { until: r.until, deferral: r.deferral ?? 'quiet_hours', campaignId: r.campaignId }, { status: 'held', reason: 'erased' }, at)
          : r.status === 'sending' || r.status === 'failed'
            ? await deps.messages.holdUnsettled(messageId, r.status, 'erased', at)
            : false;
      if (!moved) continue;
    }
    await deps.campaigns.markGone(r.campaignId, messageId, at);
    return;
  }
  throw new Error('a campaign message kept changing while it was being erased; the erasure can be repeated');
}

export interface ConsentProof {
  readonly recipientId: string;
  readonly topic: string;
  readonly status: string;
  /** The entries that establish the current state: the change into it and, for a confirmed opt-in, its request. */
  readonly established: readonly LedgerEntry[];
  /** Every entry about this topic, oldest first. */
  readonly history: readonly LedgerEntry[];
}

/** The ledger entries behind a recipient's current consent to a topic: when, how, what wording, which IP pseudonym. */
export async function proofOfConsent(deps: Deps, id: string, topic: string): Promise<ConsentProof> {
  const agg = await deps.recipients.get(id);
  if (!agg) throw new SendwellError('not_found', `No recipient ${id}.`);
  const history = (await deps.recipients.fullLedger(id)).filter((e) => e.subject === `topic:${topic}`);
  const status = agg.consents[topic]?.status ?? 'none';
  const last = history.findLastIndex((e) => e.to === status);
  const established: LedgerEntry[] = last < 0 ? [] : [history[last] as LedgerEntry];
  // A confirmed opt-in rests on two facts: the request (→ pending) and the confirmation (pending → opted_in).
  if (last > 0 && history[last]?.from === 'pending') {
    const request = history.slice(0, last).findLastIndex((e) => e.to === 'pending');
    if (request >= 0) established.unshift(history[request] as LedgerEntry);
  }
  return { recipientId: id, topic, status, established, history };
}
