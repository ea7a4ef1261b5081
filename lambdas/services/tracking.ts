/**
 * Opens and clicks. Both are recorded only while the recipient's tracking consent allows it (it may have been
 * withdrawn after the mail went out), with the IP pseudonymized and the raw event expiring. Every request is
 * classified by the engagement rules (lambdas/domain/engagement.ts): a HEAD is never counted; machine opens and
 * clicks are counted apart from human ones. The record's counts are what the day's figures are made of: the messages
 * stream adds them to the counters (services/message-figures.ts), by message class as well, once per batch.
 */
import { trackingAllowed } from '../domain/decide.ts';
import { BURST_SECONDS, classifyEngagement, isBurst } from '../domain/engagement.ts';
import { safeUrl } from '../domain/hrefs.ts';
import { pseudonymizeIp } from '../domain/pseudonymize.ts';
import { verifyToken } from '../domain/tokens.ts';
import { logger } from '../adapters/logger.ts';
import type { StoredProfile } from '../adapters/dynamo/recipient-store.ts';
import type { StoredMessageRecord } from '../adapters/dynamo/message-store.ts';
import type { Deps } from './deps.ts';

/** What opens and clicks use: the public tracking functions build no more than this (adapters/public-container.ts). */
export type TrackingDeps = Pick<Deps, 'clock' | 'keys'> & {
  readonly messages: Pick<Deps['messages'], 'getRecord' | 'recordOpen' | 'recordClick' | 'getLinkSet' | 'sentLinks' | 'clicksSince' | 'reclassifyClick'>;
  readonly recipients: Pick<Deps['recipients'], 'getProfile'>;
};

/** How long raw open and click events are kept (the aggregates on the message record stay). */
export const TRACKING_EVENT_DAYS = 180;

export interface RequestSignal {
  readonly ip?: string;
  readonly userAgent?: string;
  /** `GET` when absent. A `HEAD` is never counted. */
  readonly method?: string;
}

/**
 * Whether the recipient's tracking consent allows recording: their profile alone decides it. Suppressions never do
 * (they stop mail, not tracking), and a person erased has no profile left.
 */
const trackable = (profile: StoredProfile | undefined): boolean =>
  profile !== undefined && trackingAllowed({ country: profile.country, tracking: profile.tracking, erased: false });

/** A raw event expires after {@link TRACKING_EVENT_DAYS}, and never after its record: an event left without one could be neither exported nor erased. */
function eventBase(now: Date, ip: string | null, signal: RequestSignal, recordExpiresAt: number | undefined) {
  const own = Math.floor(now.getTime() / 1000) + TRACKING_EVENT_DAYS * 86_400;
  return {
    at: now.toISOString(),
    ...(ip ? { ipPseudonym: ip } : {}),
    ...(signal.userAgent ? { userAgent: signal.userAgent.slice(0, 512) } : {}),
    expiresAt: recordExpiresAt === undefined ? own : Math.min(own, recordExpiresAt),
  };
}

export type OpenOutcome = 'recorded' | 'not_counted' | 'not_tracked' | 'invalid';

/** Records an open from the pixel token. Never throws for a bad token: the pixel answers the same either way. */
export async function recordOpen(deps: TrackingDeps, token: string, signal: RequestSignal): Promise<OpenOutcome> {
  const now = deps.clock();
  // A HEAD loads no image: nothing to verify, read or count.
  const head = classifyEngagement({ channel: 'open', at: now, ...signal });
  if (!head.count) return 'not_counted';
  const keys = await deps.keys();
  const verified = verifyToken(token, 'open', keys.tokens, now);
  if (!verified.ok || !verified.payload.messageId) return 'invalid';
  const { messageId, recipientId } = verified.payload;
  // Independent reads, in parallel: the pixel is on the hot path of every campaign (bench/README.md).
  const [record, profile] = await Promise.all([deps.messages.getRecord(messageId), deps.recipients.getProfile(recipientId)]);
  if (!record || record.recipientId !== recipientId) return 'invalid';
  if (!trackable(profile)) return 'not_tracked';

  const kind = classifyEngagement({ channel: 'open', ...signal, at: now, ...(record.sentAt ? { sentAt: new Date(record.sentAt) } : {}) });
  if (!kind.count) return 'not_counted';
  const open = { ...eventBase(now, pseudonymizeIp(signal.ip, keys.ipKey), signal, record.expiresAt), machine: kind.machine, ...(kind.machine ? { reason: kind.reason } : {}) };
  // The record's counts (the stream makes figures of them) and, with them, the recipient's last human open (what
  // segments' `lastOpenedAt` reads; machine opens never count): one round trip after the reads.
  // A record gone since it was read: erased meanwhile, and nothing was written.
  return (await deps.messages.recordOpen(messageId, open, recipientId)) ? 'recorded' : 'invalid';
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
export async function resolveClick(deps: TrackingDeps, token: string, signal: RequestSignal): Promise<ClickOutcome> {
  const now = deps.clock();
  const keys = await deps.keys();
  const verified = verifyToken(token, 'click', keys.tokens, now);
  if (!verified.ok || !verified.payload.messageId || verified.payload.linkIndex === undefined) return { kind: 'invalid' };
  const { messageId, recipientId, linkIndex, linkSet } = verified.payload;
  const [record, profile] = await Promise.all([deps.messages.getRecord(messageId), deps.recipients.getProfile(recipientId)]);
  if (record && record.recipientId !== recipientId) return { kind: 'invalid' };
  if (!record) {
    // Signed by us, so it was real: the record went with an erasure (or its retention). Only the shared links remain.
    const shared = linkSet ? (await deps.messages.getLinkSet(linkSet))?.links[linkIndex] : undefined;
    const url = shared ? safeUrl(shared) : undefined;
    if (url?.ok && url.scheme !== 'mailto:') return { kind: 'redirect', url: url.url };
    return profile ? { kind: 'invalid' } : { kind: 'erased' };
  }
  // The record keeps the recipient's own links and the id of the template's shared set (read once per process).
  const links = await deps.messages.sentLinks(record);
  const stored = links[linkIndex];
  const url = stored ? safeUrl(stored) : undefined;
  if (!url?.ok || url.scheme === 'mailto:') return { kind: 'invalid' };
  if (trackable(profile)) {
    // Counting never stands between the person and the link: a count that fails (a scanner fetching every link of
    // the mail at once makes the record's transactions conflict) is logged, and the redirect goes out.
    await countClick(deps, record, links.length, linkIndex, now, signal, keys.ipKey).catch((error: unknown) => logger.error('click not recorded', { error: error as Error }));
  }
  return { kind: 'redirect', url: url.url };
}

async function countClick(deps: TrackingDeps, record: StoredMessageRecord, linkCount: number, linkIndex: number, now: Date, signal: RequestSignal, ipKey: Buffer): Promise<void> {
  const kind = classifyEngagement({ channel: 'click', ...signal, at: now, ...(record.sentAt ? { sentAt: new Date(record.sentAt) } : {}) });
  if (!kind.count) return;
  const click = { ...eventBase(now, pseudonymizeIp(signal.ip, ipKey), signal, record.expiresAt), machine: kind.machine, ...(kind.machine ? { reason: kind.reason } : {}) };
  // With it, the last human click segments read (`lastClickedAt`); a click a later burst shows to be a machine's keeps it.
  if (!(await deps.messages.recordClick(record.messageId, linkIndex, click, record.recipientId))) return;
  if (linkCount < 2) return;
  // Read after the write: of two clicks of one burst landing together, the later reader sees both.
  const since = new Date(now.getTime() - BURST_SECONDS * 1000).toISOString();
  const recent = await deps.messages.clicksSince(record.messageId, since);
  const burst = isBurst({ linkIndex, linkCount, at: now, recentClicks: recent.map((c) => ({ linkIndex: c.linkIndex, at: new Date(c.at) })) });
  if (!burst) return;
  // Each move is a change of the record's counts (human -1, machine +1, the first human click gone with the last):
  // the stream counts it like any other.
  for (const c of recent.filter((r) => !r.machine)) await deps.messages.reclassifyClick(record.messageId, c.key, 'burst');
}
