/**
 * Opens and clicks. Both are recorded only while the recipient's tracking consent allows it (it may have been
 * withdrawn after the mail went out), with the IP pseudonymized and the raw event expiring. Every request is
 * classified by the engagement rules (lambdas/domain/engagement.ts): a HEAD is never counted; machine opens and
 * clicks are counted apart from human ones, and every figure is counted by message class as well.
 */
import { trackingAllowed } from '../domain/decide.ts';
import { BURST_SECONDS, classifyEngagement, isBurst } from '../domain/engagement.ts';
import { safeUrl } from '../domain/hrefs.ts';
import { pseudonymizeIp } from '../domain/pseudonymize.ts';
import { verifyToken } from '../domain/tokens.ts';
import type { MessageRecord } from '../schemas/model.ts';
import { dimsOf, type Deps } from './deps.ts';
import { toDecisionState } from './recipient-view.ts';

/** How long raw open and click events are kept (the aggregates on the message record stay). */
export const TRACKING_EVENT_DAYS = 180;

export interface RequestSignal {
  readonly ip?: string;
  readonly userAgent?: string;
  /** `GET` when absent. A `HEAD` is never counted. */
  readonly method?: string;
}

async function tracked(deps: Deps, recipientId: string): Promise<boolean> {
  const agg = await deps.recipients.get(recipientId);
  if (!agg) return false;
  return trackingAllowed(toDecisionState(agg, await deps.suppressions.list(agg.profile.addressHash)));
}

function eventBase(now: Date, ip: string | null, signal: RequestSignal) {
  return {
    at: now.toISOString(),
    ...(ip ? { ipPseudonym: ip } : {}),
    ...(signal.userAgent ? { userAgent: signal.userAgent.slice(0, 512) } : {}),
    expiresAt: Math.floor(now.getTime() / 1000) + TRACKING_EVENT_DAYS * 86_400,
  };
}

/** A figure and its part for the message's class: `{ opens_total: 1, opens_total_marketing: 1 }`. */
function withClass(record: Pick<MessageRecord, 'class'>, figures: Readonly<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, n] of Object.entries(figures)) {
    out[name] = n;
    out[`${name}_${record.class}`] = n;
  }
  return out;
}

export type OpenOutcome = 'recorded' | 'not_counted' | 'not_tracked' | 'invalid';

/** Records an open from the pixel token. Never throws for a bad token: the pixel answers the same either way. */
export async function recordOpen(deps: Deps, token: string, signal: RequestSignal): Promise<OpenOutcome> {
  const now = deps.clock();
  // A HEAD loads no image: nothing to verify, read or count.
  const head = classifyEngagement({ channel: 'open', at: now, ...signal });
  if (!head.count) return 'not_counted';
  const keys = await deps.keys();
  const verified = verifyToken(token, 'open', keys.tokens, now);
  if (!verified.ok || !verified.payload.messageId) return 'invalid';
  const { messageId, recipientId } = verified.payload;
  // Independent reads, in parallel: the pixel is on the hot path of every campaign (bench/README.md).
  const [record, allowed] = await Promise.all([deps.messages.getRecord(messageId), tracked(deps, recipientId)]);
  if (!record || record.recipientId !== recipientId) return 'invalid';
  if (!allowed) return 'not_tracked';

  const kind = classifyEngagement({ channel: 'open', ...signal, at: now, ...(record.sentAt ? { sentAt: new Date(record.sentAt) } : {}) });
  if (!kind.count) return 'not_counted';
  const open = { ...eventBase(now, pseudonymizeIp(signal.ip, keys.ipKey), signal), machine: kind.machine, ...(kind.machine ? { reason: kind.reason } : {}) };
  // The record's counts and the figures after them; beside them, the recipient's last human open (what segments'
  // `lastOpenedAt` reads; machine opens never count): two round trips after the reads, not four.
  const counted = deps.messages.recordOpen(messageId, open).then(({ first, firstHuman }) =>
    deps.messages.count(
      open.at,
      withClass(record, {
        opens_total: 1,
        [kind.machine ? 'opens_machine' : 'opens_human']: 1,
        ...(first ? { opens_unique: 1 } : {}),
        ...(firstHuman ? { opens_unique_human: 1 } : {}),
      }),
      dimsOf(record),
    ),
  );
  await Promise.all([counted, !kind.machine && recipientId ? deps.messages.touchEngagement(recipientId, 'lastOpenedAt', open.at) : undefined]);
  return 'recorded';
}

/**
 * What a click token leads to:
 * - `redirect`: the URL at the token's index in the message as sent (never a URL from the request), absolute and
 *   encoded as the URL parser writes it, so no stored value can break the `Location` header;
 * - `erased`: a link that depended on the recipient, in mail of a person whose data was erased since;
 * - `invalid`: anything that does not resolve.
 */
export type ClickOutcome = { readonly kind: 'redirect'; readonly url: string } | { readonly kind: 'erased' } | { readonly kind: 'invalid' };

/**
 * Resolves a click token and records the click when tracking is allowed. When the message record is gone (the
 * person's data was erased), a link the template shares with every recipient still resolves from its link set
 * (lambdas/domain/hrefs.ts), and nothing is recorded.
 */
export async function resolveClick(deps: Deps, token: string, signal: RequestSignal): Promise<ClickOutcome> {
  const now = deps.clock();
  const keys = await deps.keys();
  const verified = verifyToken(token, 'click', keys.tokens, now);
  if (!verified.ok || !verified.payload.messageId || verified.payload.linkIndex === undefined) return { kind: 'invalid' };
  const { messageId, recipientId, linkIndex, linkSet } = verified.payload;
  const [record, allowed] = await Promise.all([deps.messages.getRecord(messageId), tracked(deps, recipientId)]);
  if (record && record.recipientId !== recipientId) return { kind: 'invalid' };
  if (!record) {
    // Signed by us, so it was real: the record went with an erasure (or its retention). Only the shared links remain.
    const shared = linkSet ? (await deps.messages.getLinkSet(linkSet))?.links[linkIndex] : undefined;
    const url = shared ? safeUrl(shared) : undefined;
    if (url?.ok && url.scheme !== 'mailto:') return { kind: 'redirect', url: url.url };
    return (await deps.recipients.get(recipientId)) ? { kind: 'invalid' } : { kind: 'erased' };
  }
  const stored = record.links?.[linkIndex];
  const url = stored ? safeUrl(stored) : undefined;
  if (!url?.ok || url.scheme === 'mailto:') return { kind: 'invalid' };
  if (allowed) await countClick(deps, record, linkIndex, now, signal, keys.ipKey);
  return { kind: 'redirect', url: url.url };
}

async function countClick(deps: Deps, record: MessageRecord, linkIndex: number, now: Date, signal: RequestSignal, ipKey: Buffer): Promise<void> {
  const kind = classifyEngagement({ channel: 'click', ...signal, at: now, ...(record.sentAt ? { sentAt: new Date(record.sentAt) } : {}) });
  if (!kind.count) return;
  const click = { ...eventBase(now, pseudonymizeIp(signal.ip, ipKey), signal), machine: kind.machine, ...(kind.machine ? { reason: kind.reason } : {}) };
  const { first, firstHuman } = await deps.messages.recordClick(record.messageId, linkIndex, click);
  // Segments read the last human click (`lastClickedAt`); a click a later burst shows to be a machine's keeps it.
  if (!kind.machine && record.recipientId) await deps.messages.touchEngagement(record.recipientId, 'lastClickedAt', click.at);
  const dims = dimsOf(record);
  await deps.messages.count(
    click.at,
    withClass(record, {
      clicks_total: 1,
      [kind.machine ? 'clicks_machine' : 'clicks_human']: 1,
      ...(first ? { clicks_unique: 1 } : {}),
      ...(firstHuman ? { clicks_unique_human: 1 } : {}),
    }),
    dims,
  );
  const linkCount = record.links?.length ?? 0;
  if (linkCount < 2) return;
  // Read after the write: of two clicks of one burst landing together, the later reader sees both.
  const since = new Date(now.getTime() - BURST_SECONDS * 1000).toISOString();
  const recent = await deps.messages.clicksSince(record.messageId, since);
  const burst = isBurst({ linkIndex, linkCount, at: now, recentClicks: recent.map((c) => ({ linkIndex: c.linkIndex, at: new Date(c.at) })) });
  if (!burst) return;
  for (const c of recent.filter((r) => !r.machine)) {
    const moved = await deps.messages.reclassifyClick(record.messageId, c.key, 'burst');
    if (!moved.changed) continue;
    await deps.messages.count(c.at, withClass(record, { clicks_human: -1, clicks_machine: 1 }), dims);
    if (moved.noHumanLeft && moved.firstHumanClickAt) await deps.messages.count(moved.firstHumanClickAt, withClass(record, { clicks_unique_human: -1 }), dims);
  }
}
