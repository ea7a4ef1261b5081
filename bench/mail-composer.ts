/**
 * The baseline's MIME library: nodemailer's MailComposer. nodemailer is not a dependency of Sendwell (SES v2 builds
 * the MIME for us from `Content.Simple`); it is in node_modules because `aws-ses-v2-local` needs it, and it ships
 * no types. So it is loaded with `require` and given a type that names only what the benchmark calls, rather than
 * an ambient `declare module` that would clash with `@types/nodemailer` the day someone installs it.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/** The subset of nodemailer's mail options the baseline uses. */
export interface MailOptions {
  readonly from: string;
  readonly to: string;
  readonly subject: string;
  readonly html: string;
  readonly text: string;
  readonly headers: Readonly<Record<string, string>>;
}

interface MimeNode {
  /** Serializes the whole message; resolves to the raw RFC 5322 bytes. */
  build(): Promise<Buffer>;
}

interface MailComposerConstructor {
  new (mail: MailOptions): { compile(): MimeNode };
}

const require = createRequire(import.meta.url);
const MailComposer = require('nodemailer/lib/mail-composer') as MailComposerConstructor;

/** nodemailer's version as resolved from here (the tree also holds another copy under mailparser). */
export const nodemailerVersion: string = (
  JSON.parse(readFileSync(require.resolve('nodemailer/package.json'), 'utf8')) as { version: string }
).version;

/**
 * Builds the complete MIME message (multipart/alternative, quoted-printable parts, Message-ID, Date, custom
 * headers), as a sender that talks SMTP or SES `Content.Raw` would have to.
 */
export function buildMime(mail: MailOptions): Promise<Buffer> {
  return new MailComposer(mail).compile().build();
}
