/**
 * Signed tokens for the public endpoints (`/u`, `/p`, `/confirm`, `/o`, `/c`): the token is the only key a recipient
 * holds, so it must be unforgeable, bound to one purpose, and short enough for a URL and a mail header.
 *
 * Format: `PAYLOAD.SIG`, both base64url without padding.
 * - PAYLOAD encodes a JSON array, positional to stay short:
 *   `[kid, purposeCode, recipientId, issuedAt, messageId, topic, linkIndex, expiresAt, linkSet]`, absent fields `null`,
 *   trailing `null`s dropped. A future format can start with a number instead of the kid string.
 * - SIG is HMAC-SHA256 with the key named by `kid`, over a context string and PAYLOAD *as text*, truncated to
 *   128 bits (RFC 2104 §5: not less than half the hash). Signing the text rather than the decoded bytes means
 *   every character of the token is covered: base64's slack bits cannot be flipped unnoticed.
 * With 30-character ids (`rcp_` + ULID) a token naming a recipient and a topic is 111 characters; one that also
 * names a message (any click token) is about 150.
 */
import { createHmac, createSecretKey, timingSafeEqual as equalBytes, type KeyObject } from 'node:crypto';

export const TOKEN_PURPOSES = ['unsubscribe', 'preferences', 'confirm', 'open', 'click'] as const;
export type TokenPurpose = (typeof TOKEN_PURPOSES)[number];

export interface TokenPayload {
  readonly purpose: TokenPurpose;
  readonly recipientId: string;
  readonly messageId?: string;
  readonly topic?: string;
  /** Position of the link in the message's tracked-link list; `/c` redirects only to that stored URL. */
  readonly linkIndex?: number;
  /** Epoch seconds. */
  readonly issuedAt: number;
  /** Epoch seconds; the token stops verifying at this instant. */
  readonly expiresAt?: number;
  /**
   * Click tokens: the id of the message's link set (lambdas/domain/hrefs.ts), kept apart from the recipient, so the
   * link still resolves after the message record was erased. Absent for a link that depends on the recipient.
   */
  readonly linkSet?: string;
}

const isId = (v: unknown) => typeof v === 'string' && v.length >= 1 && v.length <= 128;
const isWhole = (v: unknown, max = Number.MAX_SAFE_INTEGER) => Number.isSafeInteger(v) && (v as number) >= 0 && (v as number) <= max;
const LINK_SET = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * What is wrong with a payload, if anything (checked by hand, not with a schema library: every public route verifies
 * a token, and a recipient waits for its cold start). Absent fields are left out, never `null`.
 */
export function payloadProblems(p: Readonly<Record<string, unknown>>): string[] {
  const problems: string[] = [];
  const optional = (key: string, ok: (v: unknown) => boolean, what: string) => {
    if (p[key] !== undefined && !ok(p[key])) problems.push(`${key}: ${what}`);
  };
  if (!TOKEN_PURPOSES.includes(p.purpose as TokenPurpose)) problems.push(`purpose: one of ${TOKEN_PURPOSES.join(', ')}`);
  if (!isId(p.recipientId)) problems.push('recipientId: 1-128 characters');
  optional('messageId', isId, '1-128 characters');
  optional('topic', isId, '1-128 characters');
  optional('linkIndex', (v) => isWhole(v, 9999), 'a whole number 0-9999');
  if (!isWhole(p.issuedAt)) problems.push('issuedAt: whole epoch seconds');
  optional('expiresAt', (v) => isWhole(v), 'whole epoch seconds');
  optional('linkSet', (v) => typeof v === 'string' && LINK_SET.test(v), '1-64 letters, digits, "-" or "_"');
  // CASL asks for 60 days at least; never expiring also means an old mail's link always works.
  if (p.purpose === 'unsubscribe' && p.expiresAt !== undefined) problems.push('unsubscribe tokens never expire');
  if ((p.purpose === 'open' || p.purpose === 'click') && p.messageId === undefined) problems.push(`${String(p.purpose)} needs messageId`);
  if ((p.purpose === 'click') !== (p.linkIndex !== undefined)) problems.push('linkIndex belongs to click tokens, and only to them');
  if (p.purpose !== 'click' && p.linkSet !== undefined) problems.push('linkSet belongs to click tokens');
  return problems;
}

/**
 * Signing keys by id. `current` signs; every key still listed verifies, so a rotated-out key keeps old mail
 * working until it is removed. Keys are raw bytes, or strings taken as UTF-8; use at least 32 random bytes.
 */
export interface Keyring {
  readonly current: string;
  readonly keys: Readonly<Record<string, Buffer | string>>;
}

export type TokenFailure = 'malformed' | 'bad_signature' | 'unknown_key' | 'wrong_purpose' | 'expired';
export type VerifyResult =
  | { readonly ok: true; readonly payload: TokenPayload; readonly kid: string }
  | { readonly ok: false; readonly reason: TokenFailure };

const CODE: Record<TokenPurpose, string> = { unsubscribe: 'u', preferences: 'p', confirm: 'c', open: 'o', click: 'k' };
const PURPOSE_BY_CODE = new Map(Object.entries(CODE).map(([purpose, code]) => [code, purpose as TokenPurpose]));

const KID = /^[A-Za-z0-9_-]{1,16}$/;
const MIN_KEY_BYTES = 16;
const SIG_BYTES = 16;
const SIG_CHARS = 22; // base64url of 16 bytes
// Far above any honest token (ids are capped at 128 chars); bounds the work spent on garbage.
const MAX_TOKEN = 1024;
const TOKEN_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
// Keeps these MACs apart from anything else a shared key might sign (partner webhooks, for one).
const MAC_CONTEXT = 'sendwell-token.v1.';

/**
 * Signs a payload with the keyring's current key.
 *
 * @throws {Error} when the payload has {@link payloadProblems} or the keyring has no usable current key:
 * both are bugs in the caller, not input from a recipient.
 * @example
 * const keyring = { current: 'k2', keys: { k1: oldSecret, k2: newSecret } };
 * const token = signToken({ purpose: 'unsubscribe', recipientId: 'r_1', topic: 'news', issuedAt: 1732233600 }, keyring);
 * // 'WyJrMiIsInUiLCJyXzEiLDE3MzIyMzM2MDAsbnVsbCwibmV3cyJd.' + 22 signature characters: 75 in all
 */
export function signToken(p: TokenPayload, keyring: Keyring): string {
  const problems = payloadProblems(p as unknown as Record<string, unknown>);
  if (problems.length > 0) throw new Error(`token payload: ${problems.join('; ')}`);
  const kid = keyring.current;
  const key = keyFor(keyring, kid);
  if (!KID.test(kid) || key === undefined || (key.symmetricKeySize ?? 0) < MIN_KEY_BYTES) {
    throw new Error(`keyring: current key "${kid}" is missing, badly named or shorter than ${MIN_KEY_BYTES} bytes`);
  }
  const fields = [kid, CODE[p.purpose], p.recipientId, p.issuedAt, p.messageId, p.topic, p.linkIndex, p.expiresAt, p.linkSet];
  while (fields.length > 0 && fields[fields.length - 1] === undefined) fields.pop();
  const body = Buffer.from(JSON.stringify(fields.map((f) => f ?? null))).toString('base64url');
  return `${body}.${mac(key, body)}`;
}

/**
 * Checks a token from a URL. Never throws, whatever the input.
 *
 * Checks run in this order: shape (`malformed`), key id (`unknown_key`), signature (`bad_signature`); only a
 * genuine token is then read and checked for `wrong_purpose` and `expired`, so a forger learns nothing from those.
 * Unsubscribe tokens never expire, even one a faulty signer gave an expiry. An invalid `now` counts as past every
 * other expiry.
 *
 * @example
 * verifyToken(token, 'unsubscribe', keyring, new Date()) // { ok: true, kid: 'k2', payload: { purpose: 'unsubscribe', … } }
 * verifyToken(token, 'click', keyring, new Date())       // { ok: false, reason: 'wrong_purpose' }
 * verifyToken('garbage', 'open', keyring, new Date())    // { ok: false, reason: 'malformed' }
 */
export function verifyToken(token: unknown, expectedPurpose: TokenPurpose, keyring: Keyring, now: Date): VerifyResult {
  if (typeof token !== 'string' || token.length > MAX_TOKEN || !TOKEN_SHAPE.test(token)) return fail('malformed');
  const dot = token.indexOf('.');
  const body = token.slice(0, dot);
  const sig = token.slice(dot + 1);
  if (sig.length !== SIG_CHARS) return fail('malformed');

  const fields = parseFields(body);
  if (fields === undefined || typeof fields[0] !== 'string') return fail('malformed');
  const kid = fields[0];
  const key = keyFor(keyring, kid);
  if (key === undefined) return fail('unknown_key');
  if (!timingSafeEqual(sig, mac(key, body))) return fail('bad_signature');

  const payload = toPayload(fields);
  if (payload === undefined) return fail('malformed');
  if (payload.purpose !== expectedPurpose) return fail('wrong_purpose');
  if (payload.expiresAt !== undefined) {
    const nowSeconds = Math.floor(now.getTime() / 1000);
    if (!(nowSeconds < payload.expiresAt)) return fail('expired');
  }
  return { ok: true, payload, kid };
}

/**
 * Compares two secrets in time that does not depend on where they differ. Unlike `crypto.timingSafeEqual` it
 * accepts different lengths (returning false) instead of throwing; lengths of MACs are public anyway.
 *
 * @example
 * timingSafeEqual('abc', 'abc') // true
 * timingSafeEqual('abc', 'abd') // false
 * timingSafeEqual('abc', 'ab')  // false
 */
export function timingSafeEqual(a: string | Buffer, b: string | Buffer): boolean {
  const x = typeof a === 'string' ? Buffer.from(a) : a;
  const y = typeof b === 'string' ? Buffer.from(b) : b;
  if (x.length !== y.length) {
    equalBytes(x, x); // spend comparable time either way
    return false;
  }
  return equalBytes(x, y);
}

function mac(key: KeyObject, body: string): string {
  return createHmac('sha256', key).update(MAC_CONTEXT + body).digest().subarray(0, SIG_BYTES).toString('base64url');
}

// An HMAC with a raw key imports the key on every call; a KeyObject made once is several times faster (bench/).
const stringKeys = new Map<string, KeyObject>();
const bufferKeys = new WeakMap<Buffer, KeyObject>();

function keyFor(keyring: Keyring, kid: string): KeyObject | undefined {
  // Own properties only: `__proto__` or `toString` as a kid must not find anything.
  if (!Object.hasOwn(keyring.keys, kid)) return undefined;
  const raw = keyring.keys[kid];
  if (raw === undefined || raw.length === 0) return undefined;
  if (typeof raw === 'string') {
    let key = stringKeys.get(raw);
    if (!key) stringKeys.set(raw, (key = createSecretKey(Buffer.from(raw))));
    return key;
  }
  let key = bufferKeys.get(raw);
  if (!key) bufferKeys.set(raw, (key = createSecretKey(raw)));
  return key;
}

function parseFields(body: string): unknown[] | undefined {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  return Array.isArray(value) && value.length >= 4 && value.length <= 9 ? value : undefined;
}

function toPayload(fields: unknown[]): TokenPayload | undefined {
  const [, code, recipientId, issuedAt, messageId, topic, linkIndex, expiresAt, linkSet] = fields;
  const purpose = typeof code === 'string' ? PURPOSE_BY_CODE.get(code) : undefined;
  if (purpose === undefined) return undefined;
  // A person must always be able to leave: an unsubscribe token's expiry, however it got there, is ignored.
  const expiry = purpose === 'unsubscribe' ? null : expiresAt;
  const named = { purpose, recipientId, issuedAt, messageId, topic, linkIndex, expiresAt: expiry, linkSet };
  // `null` (or a dropped trailing field) is how the wire says "absent"; a payload says it by leaving the field out.
  const candidate = Object.fromEntries(Object.entries(named).filter(([, v]) => v !== null && v !== undefined));
  return payloadProblems(candidate).length === 0 ? (candidate as unknown as TokenPayload) : undefined;
}

const fail = (reason: TokenFailure): VerifyResult => ({ ok: false, reason });
