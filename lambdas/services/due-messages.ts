/**
 * The due-message sweep: deferred messages whose time came (quiet hours over, a local-time campaign's moment reached)
 * are found through the messages' due-time index (gsi2, `DUE#shard` / `<until>#<id>`, never a scan) and moved on.
 * A campaign's recipients go back on the send queue in batches (the sender decides again, exactly once per recipient,
 * and parks them while the campaign is paused); a transactional message is decided again and sent here.
 * Every step is idempotent: a sweep that dies re-finds what it had not taken out of the index.
 */
import { createHash } from 'node:crypto';
import { DUE_BATCH_PREFIX, SEND_BATCH_SIZE, type SendBatch } from '../domain/campaign.ts';
import { DUE_SHARDS, type DueMessage } from '../adapters/dynamo/delivery-store.ts';
import type { Deps } from './deps.ts';
import { sendDeferredMessage, type DeferredOutcome } from './send.ts';

/** Due messages read per index Query. */
export const DUE_PAGE = 500;
/** A deferred transactional mail SES refuses when due is tried again this many times, this far apart. */
export const DUE_RETRIES = 5;
export const DUE_RETRY_MS = 5 * 60_000;

export interface DueReport {
  /** Campaign recipients put back on the send queue. */
  readonly requeued: number;
  /** Transactional messages handled, by outcome. */
  readonly messages: Partial<Record<DeferredOutcome | 'failed', number>>;
}

/** Handles what is due by now, shard by shard, until nothing is or `budgetMs` is spent (the next run goes on). */
export async function releaseDueMessages(deps: Deps, budgetMs = 45_000): Promise<DueReport> {
  const started = Date.now();
  let requeued = 0;
  const messages: Record<string, number> = {};
  for (let shard = 0; shard < DUE_SHARDS; shard++) {
    for (;;) {
      if (Date.now() - started > budgetMs) return { requeued, messages };
      const due = await deps.delivery.due(shard, deps.clock().toISOString(), DUE_PAGE);
      if (due.length === 0) break;
      requeued += await requeueCampaignRecipients(deps, due.filter((d) => d.campaignId && d.recipientId));
      for (const d of due.filter((m) => !m.campaignId)) {
        let outcome: DeferredOutcome | 'failed';
        try {
          outcome = await sendDeferredMessage(deps, d.messageId);
        } catch {
          // SES refused (the record is `failed`, nothing went out): nobody is waiting on an answer to retry it, so it is
          // deferred again a few minutes on, a few times. SES did not answer: it stays `sending` (it may be out) and
          // SES's events settle it, as for any send.
          outcome = 'failed';
        }
        messages[outcome] = (messages[outcome] ?? 0) + 1;
        await deps.delivery.unindex(d.messageId, d.until);
        if (outcome === 'failed') {
          const at = deps.clock();
          await deps.messages.deferAgainAfterFailure(d.messageId, new Date(at.getTime() + DUE_RETRY_MS).toISOString(), at.toISOString(), DUE_RETRIES);
        }
      }
      if (due.length < DUE_PAGE) break;
    }
  }
  return { requeued, messages };
}

/**
 * Campaign recipients, grouped by campaign into send batches. The batch id derives from who is in it, so a sweep
 * that runs again before taking them out of the index queues the very same batch (the sender settles each
 * recipient once whatever the batch id; this only keeps the per-batch markers tidy).
 */
async function requeueCampaignRecipients(deps: Deps, due: readonly DueMessage[]): Promise<number> {
  const byCampaign = new Map<string, DueMessage[]>();
  for (const d of due) byCampaign.set(d.campaignId!, [...(byCampaign.get(d.campaignId!) ?? []), d]);
  let n = 0;
  for (const [campaignId, list] of byCampaign) {
    const batches: SendBatch[] = [];
    for (let i = 0; i < list.length; i += SEND_BATCH_SIZE) {
      const recipientIds = list.slice(i, i + SEND_BATCH_SIZE).map((d) => d.recipientId!);
      const batchId = `${DUE_BATCH_PREFIX}${createHash('sha256').update(recipientIds.join(',')).digest('base64url').slice(0, 16)}`;
      batches.push({ campaignId, batchId, recipientIds });
    }
    await deps.queues.send(batches);
    await Promise.all(list.map((d) => deps.delivery.unindex(d.messageId, d.until)));
    n += list.length;
  }
  return n;
}
