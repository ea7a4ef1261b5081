/**
 * Transient (soft) bounces: a full mailbox, greylisting, a server that is down. One of them says little; the same
 * address bouncing again and again within days is a mailbox that is not being read, and marketing to it hurts the
 * sender's reputation. So they are counted per address over a sliding window, and after `limit` of them marketing to
 * the address is suppressed for `suppressDays` (suppression `soft_bounce`, scope `marketing`; service mail is still
 * attempted: the mailbox exists and may recover, and a password reset matters more than a bounce).
 *
 * Only bounces about the mailbox count toward it ({@link isMailboxBounce}); every transient bounce is still counted as
 * `bounced_soft`.
 *
 * Each bounce is remembered by its event (`at|key`), so a duplicate adds nothing and the order of arrival does not
 * matter: the verdict depends only on the set of bounces.
 */

export interface SoftBouncePolicy {
  /** Suppress at this many transient bounces within the window. */
  readonly limit: number;
  readonly windowDays: number;
  /** How long the suppression lasts (it then lapses by its `expiresAt`). */
  readonly suppressDays: number;
}

/**
 * SES's transient subtypes that are about the mailbox (`General`, `MailboxFull`) and its `Undetermined` bounces. The
 * others (`MessageTooLarge`, `ContentRejected`, `AttachmentRejected`) are about one message: the same mailbox takes
 * the next mail, so they say nothing about whether it is read. A subtype SES adds later counts only once listed here.
 */
const MAILBOX_TRANSIENT_SUBTYPES: ReadonlySet<string> = new Set(['General', 'MailboxFull']);

/**
 * Whether a non-permanent bounce counts toward the repeated-soft-bounce rule.
 *
 * @example
 * isMailboxBounce({ bounceType: 'Transient', bounceSubType: 'MailboxFull' })     // true
 * isMailboxBounce({ bounceType: 'Undetermined', bounceSubType: 'Undetermined' }) // true
 * isMailboxBounce({ bounceType: 'Transient', bounceSubType: 'ContentRejected' }) // false: the message, not the mailbox
 */
export const isMailboxBounce = (detail: { readonly bounceType?: unknown; readonly bounceSubType?: unknown }): boolean =>
  detail.bounceType === 'Undetermined' || (detail.bounceType === 'Transient' && typeof detail.bounceSubType === 'string' && MAILBOX_TRANSIENT_SUBTYPES.has(detail.bounceSubType));

/** Three transient bounces within 7 days suppress marketing for 30 days. */
export const DEFAULT_SOFT_BOUNCE_POLICY: SoftBouncePolicy = { limit: 3, windowDays: 7, suppressDays: 30 };

/** One remembered bounce: `<iso time>|<event key hash>`; sorts by time. */
export const softBounceEntry = (at: string, eventKeyHash: string): string => `${at}|${eventKeyHash}`;

const timeOf = (entry: string): number => Date.parse(entry.slice(0, entry.indexOf('|')));

export interface SoftBounceVerdict {
  /** Bounces within the window that ends at the latest bounce. */
  readonly inWindow: number;
  /** Suppress now: `inWindow` reached the limit. */
  readonly suppress: boolean;
  /** The suppression's start (the bounce that reached the limit) and end. */
  readonly since?: string;
  readonly expiresAt?: string;
  /** Entries older than any window still to come can be forgotten. */
  readonly stale: readonly string[];
}

/**
 * Judges the remembered bounces of one address.
 *
 * The window is the `windowDays` before the latest bounce, so a late-arriving older event cannot hide newer ones,
 * and the suppression dates derive from the bounces themselves (the same set of events always gives the same record).
 *
 * @example
 * softBounceVerdict(['2026-11-01T10:00:00Z|a', '2026-11-03T10:00:00Z|b', '2026-11-05T10:00:00Z|c'], DEFAULT_SOFT_BOUNCE_POLICY)
 * // { inWindow: 3, suppress: true, since: '2026-11-05T10:00:00.000Z', expiresAt: '2026-12-05T10:00:00.000Z', stale: [] }
 */
export function softBounceVerdict(entries: readonly string[], policy: SoftBouncePolicy): SoftBounceVerdict {
  const sorted = [...new Set(entries)].filter((e) => Number.isFinite(timeOf(e))).sort((a, b) => timeOf(a) - timeOf(b) || (a < b ? -1 : a > b ? 1 : 0));
  const latest = sorted.at(-1);
  if (latest === undefined) return { inWindow: 0, suppress: false, stale: [] };
  const windowMs = policy.windowDays * 86_400_000;
  const end = timeOf(latest);
  const inside = sorted.filter((e) => timeOf(e) > end - windowMs);
  const stale = sorted.filter((e) => timeOf(e) <= end - windowMs);
  if (inside.length < policy.limit) return { inWindow: inside.length, suppress: false, stale };
  // The bounce that reached the limit within its own window: the earliest point the rule says "suppress".
  let since = end;
  for (let i = policy.limit - 1; i < sorted.length; i++) {
    const t = timeOf(sorted[i]!);
    if (t - timeOf(sorted[i - policy.limit + 1]!) < windowMs) {
      since = t;
      break;
    }
  }
  return {
    inWindow: inside.length,
    suppress: true,
    since: new Date(since).toISOString(),
    expiresAt: new Date(since + policy.suppressDays * 86_400_000).toISOString(),
    stale,
  };
}
