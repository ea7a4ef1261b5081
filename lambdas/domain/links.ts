/**
 * The signed links of one message: each public route gets a token bound to its purpose, so a pixel token can
 * never unsubscribe and an unsubscribe token never expires.
 */
import type { ComposeLinks } from './compose.ts';
import type { MessageClass } from './decide.ts';
import { signToken, type Keyring } from './tokens.ts';

export interface LinkContext {
  /** Public base URL without a trailing slash (`https://mail.example.com`). */
  readonly baseUrl: string;
  readonly keyring: Keyring;
  readonly recipientId: string;
  readonly messageId: string;
  readonly class: MessageClass;
  readonly topic?: string;
  /** Only then are the pixel and click links made. */
  readonly trackingAllowed: boolean;
  /** The topic a confirm link confirms (double opt-in mail). */
  readonly confirmTopic?: string;
  /** `mailto:` mailbox that accepts unsubscribe requests, when one is configured. */
  readonly unsubscribeMailbox?: string;
  readonly now: Date;
}

/**
 * Builds the links {@link composeMessage} puts into a mail.
 *
 * @example
 * const links = buildLinks({ baseUrl: 'https://m.example', keyring, recipientId: 'rcp_1', messageId: 'msg_1',
 *   class: 'marketing', topic: 'news', trackingAllowed: false, now: new Date() });
 * links.unsubscribeUrl // 'https://m.example/u/eyJ…'
 * links.pixelUrl       // undefined: no tracking consent
 */
export function buildLinks(ctx: LinkContext): ComposeLinks {
  const issuedAt = Math.floor(ctx.now.getTime() / 1000);
  const base = { recipientId: ctx.recipientId, issuedAt };
  const sign = (payload: Parameters<typeof signToken>[0]) => signToken(payload, ctx.keyring);
  const preferencesUrl = `${ctx.baseUrl}/p/${sign({ ...base, purpose: 'preferences' })}`;
  const links: { -readonly [K in keyof ComposeLinks]: ComposeLinks[K] } = { preferencesUrl };

  if (ctx.class === 'marketing') {
    const token = sign({ ...base, purpose: 'unsubscribe', messageId: ctx.messageId, ...(ctx.topic ? { topic: ctx.topic } : {}) });
    links.unsubscribeUrl = `${ctx.baseUrl}/u/${token}`;
    links.oneClickUrl = links.unsubscribeUrl;
    if (ctx.unsubscribeMailbox) links.mailtoUnsubscribe = `mailto:${ctx.unsubscribeMailbox}?subject=unsubscribe%20${token}`;
  }
  if (ctx.confirmTopic) {
    links.confirmUrl = `${ctx.baseUrl}/confirm/${sign({ ...base, purpose: 'confirm', topic: ctx.confirmTopic })}`;
  }
  if (ctx.trackingAllowed) {
    links.pixelUrl = `${ctx.baseUrl}/o/${sign({ ...base, purpose: 'open', messageId: ctx.messageId })}.gif`;
    links.clickUrl = (linkIndex: number, linkSet?: string) =>
      `${ctx.baseUrl}/c/${sign({ ...base, purpose: 'click', messageId: ctx.messageId, linkIndex, ...(linkSet ? { linkSet } : {}) })}`;
  }
  return links;
}
