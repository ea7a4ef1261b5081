/**
 * Sends a composed message through SES v2 with Simple content: subject, HTML and text parts, and the extra headers
 * (`List-Unsubscribe`, `List-Unsubscribe-Post`) as SES's structured `Headers`, never as text we concatenate.
 */
import type { SESv2Client } from '@aws-sdk/client-sesv2';
import type { ComposedMessage } from '../domain/compose.ts';
import { SendOutcomeUnknown } from '../domain/errors.ts';
import { sesSdk } from './service-clients.ts';
import { answerMayBeLost } from './send-once.ts';

export interface SendOptions {
  readonly configurationSet?: string;
  /** SES message tags (for event destinations): `[A-Za-z0-9_-]` names and values. */
  readonly tags?: Readonly<Record<string, string>>;
}

/**
 * `Jürgen Ünal <news@example.com>` → `=?UTF-8?B?…?= <news@example.com>`: SES needs a non-ASCII display name in
 * MIME encoded-word form.
 */
export function encodeFromAddress(from: string): string {
  const m = /^\s*(.*?)\s*<([^<>]+)>\s*$/.exec(from);
  if (!m || /^[\x20-\x7e]*$/.test(m[1] ?? '')) return from;
  const name = (m[1] ?? '').replace(/^"(.*)"$/, '$1');
  return `=?UTF-8?B?${Buffer.from(name, 'utf8').toString('base64')}?= <${m[2]}>`;
}

/** What a listener hears about each message SES accepted. */
export interface SentMail {
  readonly sesMessageId: string;
  readonly to: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly at: string;
}

/**
 * Listeners told about every accepted message, in process. Empty on AWS (SES publishes real events); the local stack
 * registers its emulator of the SES mailbox simulator here, since the local SES produces no events.
 */
export const sentListeners = new Set<(mail: SentMail) => void>();

const tagValue = (v: string) => v.replace(/[^A-Za-z0-9_.@-]/g, '_').slice(0, 256);

export class SesMailer {
  readonly #ses: SESv2Client;

  constructor(ses: SESv2Client) {
    this.#ses = ses;
  }

  /**
   * Sends and returns SES's message id. Throws {@link SendOutcomeUnknown} when SES gave no answer (the mail may have
   * gone out), SES's own error otherwise (nothing was accepted).
   */
  async send(message: ComposedMessage, options: SendOptions = {}): Promise<string> {
    const out = await this.#send(message, options).catch((e: unknown) => {
      throw answerMayBeLost(e) ? new SendOutcomeUnknown(e) : e;
    });
    if (!out.MessageId) throw new Error('SES accepted the message but returned no message id');
    const sent: SentMail = { sesMessageId: out.MessageId, to: message.to, tags: { ...(options.tags ?? {}) }, at: new Date().toISOString() };
    for (const listener of sentListeners) listener(sent);
    return out.MessageId;
  }

  #send(message: ComposedMessage, options: SendOptions) {
    return this.#ses.send(
      new (sesSdk().SendEmailCommand)({
        FromEmailAddress: encodeFromAddress(message.from),
        Destination: { ToAddresses: [message.to] },
        Content: {
          Simple: {
            Subject: { Data: message.subject, Charset: 'UTF-8' },
            Body: { Html: { Data: message.html, Charset: 'UTF-8' }, Text: { Data: message.text, Charset: 'UTF-8' } },
            Headers: message.headers.map((h) => ({ Name: h.name, Value: h.value })),
          },
        },
        ...(options.configurationSet ? { ConfigurationSetName: options.configurationSet } : {}),
        ...(options.tags
          ? { EmailTags: Object.entries(options.tags).map(([Name, Value]) => ({ Name, Value: tagValue(Value) })) }
          : {}),
      }),
    );
  }
}
