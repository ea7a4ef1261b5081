/**
 * Email addresses: one canonical form for identity, a display form for the envelope, a stable hash for
 * suppressions, a mask for screens and logs.
 *
 * The canonical form is `local@domain`, both lower-cased, domain in ASCII (punycode). The local part is
 * case-sensitive by RFC 5321, but no mailbox provider that matters treats it so, and for consent the error is
 * one-sided: merging `Jane@x` with `jane@x` at worst keeps mail from someone who unsubscribed under another
 * spelling; keeping them apart would let that unsubscribe be dodged. Provider-specific tricks (Gmail dots,
 * `+tags`) are not undone: elsewhere they name different mailboxes, and a `+tag` is often a separate subscription.
 */
import { createHash, createHmac } from 'node:crypto';
import { domainToASCII } from 'node:url';
import { SendwellError } from './errors.ts';

/** Why an input is not an address we can send to. Stable codes: the import report and the API show them. */
export type EmailRejection =
  | 'empty'
  | 'too_long'
  | 'header_injection'
  | 'control_char'
  | 'quoted_local'
  | 'whitespace'
  | 'missing_at'
  | 'multiple_at'
  | 'non_ascii_local'
  | 'invalid_local'
  | 'local_too_long'
  | 'invalid_domain';

export type NormalizedEmail =
  | {
      readonly ok: true;
      /** Canonical form: the identity of a recipient and the input of {@link addressHash}. */
      readonly address: string;
      /** ASCII (punycode), lower-cased. */
      readonly domain: string;
      /** The local part as typed, with the canonical domain: what goes into the `To` field. */
      readonly display: string;
    }
  | { readonly ok: false; readonly reason: EmailRejection };

// RFC 5321 caps a path at 256 octets including the angle brackets, so an address at 254; a local part at 64.
const MAX_ADDRESS = 254;
const MAX_LOCAL = 64;
// Bounds the work done on hostile input before any real check; far above any address that could be valid.
const MAX_INPUT = 1024;

// RFC 5322 dot-atom: atext runs separated by single dots.
const DOT_ATOM = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
// `domainToASCII` percent-decodes and stops at `/`, `?` or `#`, so an ASCII character it would reinterpret must be
// refused before it is called. Non-ASCII is left to it: that is what IDNA mapping is for.
const RAW_DOMAIN_ASCII = /^[A-Za-z0-9.-]$/;
const LDH_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const CONTROL_OR_FORMAT = /[\p{Cc}\p{Cf}]/u;

const reject = (reason: EmailRejection): NormalizedEmail => ({ ok: false, reason });

const IN_WORDS: Readonly<Record<EmailRejection, string>> = {
  empty: 'the address is empty',
  too_long: 'longer than an address can be (254 characters)',
  header_injection: 'a line break inside the address',
  control_char: 'a control character inside the address',
  quoted_local: 'a quoted part before the @ (not taken)',
  whitespace: 'a space inside the address',
  missing_at: 'no @ in it',
  multiple_at: 'more than one @',
  non_ascii_local: 'non-ASCII letters before the @ (not taken)',
  invalid_local: 'not a valid name before the @',
  local_too_long: 'more than 64 characters before the @',
  invalid_domain: 'not a valid domain after the @',
};

/**
 * Why an address was refused, for a person: in words, with the stable code after it (reports and errors show this).
 *
 * @example
 * addressProblem('missing_at') // 'not an address: no @ in it (missing_at)'
 */
export const addressProblem = (reason: EmailRejection): string => `not an address: ${IN_WORDS[reason]} (${reason})`;

/**
 * Checks and normalizes an address. Never throws.
 *
 * Quoted local parts (`"john doe"@example.com`) are refused: they admit spaces, `@` and backslashes, two spellings
 * of one mailbox (`"a"@x` is `a@x`), and few providers or SES handle them; no real recipient needs one. Non-ASCII
 * local parts are refused because SES cannot deliver to them (it does not speak SMTPUTF8). Domain literals
 * (`a@[192.0.2.1]`) and single-label domains are refused: neither reaches a person through a public mail service.
 *
 * @example
 * normalizeEmail('  Jane.Doe@Bücher.DE ')
 * // { ok: true, address: 'jane.doe@xn--bcher-kva.de', domain: 'xn--bcher-kva.de', display: 'Jane.Doe@xn--bcher-kva.de' }
 * normalizeEmail('a@b.com\r\nBcc: c@d.com') // { ok: false, reason: 'header_injection' }
 */
export function normalizeEmail(input: string): NormalizedEmail {
  if (typeof input !== 'string') return reject('empty');
  if (input.length > MAX_INPUT) return reject('too_long');
  // Trimming first forgives the stray `\r` a CSV line leaves; a line break inside the address is then an attack.
  const s = input.trim().normalize('NFC');
  if (s === '') return reject('empty');
  if (/[\r\n]/.test(s)) return reject('header_injection');
  if (CONTROL_OR_FORMAT.test(s)) return reject('control_char');
  if (s.startsWith('"')) return reject('quoted_local');
  if (/\s/u.test(s)) return reject('whitespace');

  const at = s.indexOf('@');
  if (at < 0) return reject('missing_at');
  if (s.indexOf('@', at + 1) >= 0) return reject('multiple_at');
  const local = s.slice(0, at);
  const rawDomain = s.slice(at + 1);

  if (!/^[\x20-\x7e]*$/.test(local)) return reject('non_ascii_local');
  if (!DOT_ATOM.test(local)) return reject('invalid_local');
  if (local.length > MAX_LOCAL) return reject('local_too_long');

  const domain = toAsciiDomain(rawDomain);
  if (domain === undefined) return reject('invalid_domain');

  const address = `${local.toLowerCase()}@${domain}`;
  if (address.length > MAX_ADDRESS) return reject('too_long');
  return { ok: true, address, domain, display: `${local}@${domain}` };
}

/**
 * A bare address as a setting takes it (`SENDWELL_UNSUBSCRIBE_MAILBOX`, the DMARC report address): one Sendwell could
 * send to, written as it is (no display name, no spaces around it), its local part of letters, digits and `. _ + ' -`
 * and its domain in ASCII — it goes into `mailto:` URLs and a DMARC record, where `? # % !` and raw Unicode mean
 * something else. The CDK app checks its context with this too, so a value it accepts cannot fail every function's
 * cold start.
 */
export function isBareAddress(value: string): boolean {
  const n = normalizeEmail(value);
  return n.ok && n.display.toLowerCase() === value.toLowerCase() && /^[A-Za-z0-9._+'-]+@/.test(value);
}

function toAsciiDomain(raw: string): string | undefined {
  for (const ch of raw) {
    if (ch.charCodeAt(0) < 0x80 && !RAW_DOMAIN_ASCII.test(ch)) return undefined;
  }
  const ascii = domainToASCII(raw);
  if (ascii === '' || ascii.length > MAX_ADDRESS) return undefined;
  const labels = ascii.split('.');
  if (labels.length < 2 || !labels.every((l) => LDH_LABEL.test(l))) return undefined;
  // An all-digit top label is an IPv4 address in disguise (`domainToASCII` turns `0x7f.1` into `127.0.0.1`).
  if (/^[0-9]+$/.test(labels[labels.length - 1] ?? '')) return undefined;
  return ascii;
}

// Separates these hashes from any other SHA-256 of an address (public "hashed email" lists, other systems).
const HASH_CONTEXT = 'sendwell:address:v1\0';

/**
 * The suppression key: SHA-256 (HMAC-SHA256 with a pepper) of the canonical address, base64url, 43 characters.
 * The input is canonicalized first, so any spelling of one address gives one key.
 *
 * It is what survives erasure: a bounce, a complaint or an erasure tombstone is found again by this hash when the
 * address comes back in an import or a send. So it must never change. The pepper is therefore not a rotating key:
 * rotating it would orphan every suppression at once and mail the people who complained or asked to be forgotten.
 * Keep it apart from the token keys, which do rotate. Without a pepper, anyone holding a candidate address can
 * test it against the hash; with one, only whoever also holds the pepper can.
 *
 * @throws {SendwellError} `validation_failed` when the input is not an address (there is nothing to key).
 * @example
 * addressHash('Jane@Example.com') === addressHash('jane@example.com') // true
 * addressHash('jane@example.com', pepper)                             // 'q3…' (43 chars)
 */
export function addressHash(address: string, pepper?: Buffer | string): string {
  const n = normalizeEmail(address);
  if (!n.ok) throw new SendwellError('validation_failed', 'not an email address', [{ message: addressProblem(n.reason) }]);
  const digest = pepper === undefined ? createHash('sha256') : createHmac('sha256', pepper);
  return digest.update(HASH_CONTEXT + n.address).digest('base64url');
}

/**
 * Hides who an address belongs to while keeping what ops need to tell addresses apart by provider.
 *
 * @example
 * maskEmail('jane.doe@example.com') // 'j***@example.com'
 * maskEmail('not an address')       // '***'
 */
export function maskEmail(address: string): string {
  const s = address.trim();
  const at = s.lastIndexOf('@');
  if (at < 1) return '***';
  // First code point, not first UTF-16 unit: never emit half a surrogate pair.
  const [first = ''] = s.slice(0, at);
  return `${first}***@${s.slice(at + 1)}`;
}

/**
 * Hides the domain as well, keeping its first character and its last label: for lists ops read at a glance (recent
 * bounces and complaints), where a small company's domain alone could name the person.
 *
 * @example
 * maskEmailAndDomain('jane.doe@example.com')      // 'j***@e***.com'
 * maskEmailAndDomain('bob@mail.example.co.uk')    // 'b***@m***.uk'
 * maskEmailAndDomain('not an address')            // '***'
 */
export function maskEmailAndDomain(address: string): string {
  const s = address.trim();
  const at = s.lastIndexOf('@');
  const domain = s.slice(at + 1);
  const dot = domain.lastIndexOf('.');
  if (at < 1 || dot < 1 || dot === domain.length - 1) return '***';
  const [first = ''] = s.slice(0, at);
  const [domainFirst = ''] = domain;
  return `${first}***@${domainFirst}***${domain.slice(dot)}`;
}
