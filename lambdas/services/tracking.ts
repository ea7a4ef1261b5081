/**
 * Opens and clicks. Both are recorded only while the recipient's tracking consent allows it (it may have been
 * withdrawn after the mail went out), with the IP pseudonymized and the raw event expiring.
 */
import { trackingAllowed } from '../domain/decide.ts';
import { classifyOpen } from '../domain/open-classifier.ts';
import { pseudonymizeIp } from '../domain/pseudonymize.ts';
import { verifyToken } from '../domain/tokens.ts';
import { dimsOf, type Deps } from './deps.ts';
import { toDecisionState } from './recipient-view.ts';

/** How long raw open and click events are kept (the aggregates on the message record stay). */
export const TRACKING_EVENT_DAYS = 180;

export interface RequestSignal {
  readonly ip?: string;
  readonly userAgent?: string;
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

export type OpenOutcome = 'recorded' | 'not_tracked' | 'invalid';

/** Records an open from the pixel token. Never throws for a bad token: the pixel answers the same either way. */
export async function recordOpen(deps: Deps, token: string, signal: RequestSignal): Promise<OpenOutcome> {
  const now = deps.clock();
  const keys = await deps.keys();
  const verified = verifyToken(token, 'open', keys.tokens, now);
  if (!verified.ok || !verified.payload.messageId) return 'invalid';
  const { messageId, recipientId } = verified.payload;
  // Independent reads, in parallel: the pixel is on the hot path of every campaign (bench/README.md).
  const [record, allowed] = await Promise.all([deps.messages.getRecord(messageId), tracked(deps, recipientId)]);
  if (!record || record.recipientId !== recipientId) return 'invalid';
  if (!allowed) return 'not_tracked';

  const kind = classifyOpen({ ...signal, at: now, ...(record.sentAt ? { sentAt: new Date(record.sentAt) } : {}) });
  const open = { ...eventBase(now, pseudonymizeIp(signal.ip, keys.ipKey), signal), machine: kind.machine, ...(kind.machine ? { reason: kind.reason } : {}) };
  const { first, firstHuman } = await deps.messages.recordOpen(messageId, open);
  // Segments read the last human open (`lastOpenedAt`); machine opens never count.
  if (!kind.machine && recipientId) await deps.messages.touchEngagement(recipientId, 'lastOpenedAt', open.at);
  await deps.messages.count(open.at, {
    opens_total: 1,
    [kind.machine ? 'opens_machine' : 'opens_human']: 1,
    ...(first ? { opens_unique: 1 } : {}),
    ...(firstHuman ? { opens_unique_human: 1 } : {}),
  }, dimsOf(record));
  return 'recorded';
}

/**
 * The URL a click token stands for: the link at its index in the message as sent, and nothing else (never a URL
 * from the request). Records the click when tracking is allowed. `undefined` for anything that does not resolve.
 */
export async function resolveClick(deps: Deps, token: string, signal: RequestSignal): Promise<string | undefined> {
  const now = deps.clock();
  const keys = await deps.keys();
  const verified = verifyToken(token, 'click', keys.tokens, now);
  if (!verified.ok || !verified.payload.messageId || verified.payload.linkIndex === undefined) return undefined;
  const { messageId, recipientId, linkIndex } = verified.payload;
  const [record, allowed] = await Promise.all([deps.messages.getRecord(messageId), tracked(deps, recipientId)]);
  const url = record?.recipientId === recipientId ? record.links?.[linkIndex] : undefined;
  if (!url) return undefined;
  if (allowed) {
    const click = eventBase(now, pseudonymizeIp(signal.ip, keys.ipKey), signal);
    const { first } = await deps.messages.recordClick(messageId, linkIndex, click);
    // Segments read the last click (`lastClickedAt`). Clicks are not classified as machine ones yet: when they are,
    // only human ones should touch it.
    if (recipientId) await deps.messages.touchEngagement(recipientId, 'lastClickedAt', click.at);
    await deps.messages.count(click.at, { clicks_total: 1, ...(first ? { clicks_unique: 1 } : {}) }, dimsOf(record ?? {}));
  }
  return url;
}
