import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Keyring,
  payloadProblems,
  signToken,
  TOKEN_PURPOSES,
  type TokenPayload,
  type TokenPurpose,
  timingSafeEqual,
  verifyToken,
} from '../../../lambdas/domain/tokens.ts';

const K1 = Buffer.alloc(32, 1);
const K2 = Buffer.alloc(32, 2);
const keyring: Keyring = { current: 'k2', keys: { k1: K1, k2: K2 } };
const NOW = new Date('2025-06-01T12:00:00Z');
const NOW_S = Math.floor(NOW.getTime() / 1000);

const unsubscribe: TokenPayload = { purpose: 'unsubscribe', recipientId: 'rcp_1', messageId: 'msg_1', topic: 'news', issuedAt: NOW_S };
const click: TokenPayload = { purpose: 'click', recipientId: 'rcp_1', messageId: 'msg_1', linkIndex: 3, issuedAt: NOW_S };

describe('signToken / verifyToken', () => {
  it('round-trips a payload and names the key that signed it', () => {
    const token = signToken(unsubscribe, keyring);
    expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}$/);
    expect(verifyToken(token, 'unsubscribe', keyring, NOW)).toEqual({ ok: true, payload: unsubscribe, kid: 'k2' });
    expect(verifyToken(signToken(click, keyring), 'click', keyring, NOW)).toEqual({ ok: true, payload: click, kid: 'k2' });
  });

  it('carries a click link set id, and only on click tokens', () => {
    const withSet = { ...click, linkSet: 'AbC-_123abcdefghijklmn' };
    expect(verifyToken(signToken(withSet, keyring), 'click', keyring, NOW)).toEqual({ ok: true, payload: withSet, kid: 'k2' });
    expect(() => signToken({ ...unsubscribe, linkSet: 'x' }, keyring)).toThrow(/linkSet/);
  });

  it('is short enough for a URL and a mail header', () => {
    const ulid = '01JD3ZK6N8V7XQ2M4B9T5R1W0C';
    const long = { ...click, recipientId: `rcp_${ulid}`, messageId: `msg_${ulid}`, linkIndex: 42 };
    expect(signToken(long, keyring).length).toBeLessThanOrEqual(160);
    expect(signToken({ purpose: 'preferences', recipientId: `rcp_${ulid}`, issuedAt: NOW_S }, keyring).length).toBeLessThanOrEqual(100);
  });

  it('keeps verifying tokens of a rotated-out key until that key is removed', () => {
    const old = signToken(unsubscribe, { current: 'k1', keys: { k1: K1 } });
    expect(verifyToken(old, 'unsubscribe', keyring, NOW)).toMatchObject({ ok: true, kid: 'k1' });
    expect(verifyToken(old, 'unsubscribe', { current: 'k2', keys: { k2: K2 } }, NOW)).toEqual({ ok: false, reason: 'unknown_key' });
  });

  it('treats a string key as its UTF-8 bytes', () => {
    const secret = 'a string secret of 32 characters';
    const token = signToken(unsubscribe, { current: 'k', keys: { k: secret } });
    expect(verifyToken(token, 'unsubscribe', { current: 'k', keys: { k: Buffer.from(secret) } }, NOW).ok).toBe(true);
  });

  it('fails with bad_signature under another secret with the same key id', () => {
    const token = signToken(unsubscribe, keyring);
    expect(verifyToken(token, 'unsubscribe', { current: 'k2', keys: { k2: K1 } }, NOW)).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('does not look key ids up on the prototype', () => {
    for (const kid of ['__proto__', 'constructor', 'toString']) {
      const body = Buffer.from(JSON.stringify([kid, 'u', 'r', 1])).toString('base64url');
      expect(verifyToken(`${body}.${'A'.repeat(22)}`, 'unsubscribe', keyring, NOW)).toEqual({ ok: false, reason: 'unknown_key' });
    }
  });

  it('expires at expiresAt, not a second later and not a second sooner', () => {
    const confirm = signToken({ purpose: 'confirm', recipientId: 'r', topic: 'news', issuedAt: NOW_S, expiresAt: NOW_S + 60 }, keyring);
    expect(verifyToken(confirm, 'confirm', keyring, new Date((NOW_S + 59) * 1000)).ok).toBe(true);
    expect(verifyToken(confirm, 'confirm', keyring, new Date((NOW_S + 60) * 1000))).toEqual({ ok: false, reason: 'expired' });
    expect(verifyToken(confirm, 'confirm', keyring, new Date(Number.NaN))).toEqual({ ok: false, reason: 'expired' });
  });

  it('never expires an unsubscribe token, and refuses to sign one with an expiry', () => {
    const token = signToken(unsubscribe, keyring);
    expect(verifyToken(token, 'unsubscribe', keyring, new Date('2125-01-01T00:00:00Z')).ok).toBe(true);
    expect(() => signToken({ ...unsubscribe, expiresAt: NOW_S + 60 }, keyring)).toThrow(/never expire/);
  });

  it('ignores an expiry on an unsubscribe token signed elsewhere (or by an older release)', () => {
    const body = Buffer.from(JSON.stringify(['k2', 'u', 'r', 1, null, 'news', null, 2])).toString('base64url');
    const sig = createHmac('sha256', K2).update(`sendwell-token.v1.${body}`).digest().subarray(0, 16).toString('base64url');
    expect(verifyToken(`${body}.${sig}`, 'unsubscribe', keyring, NOW)).toEqual({
      ok: true,
      kid: 'k2',
      payload: { purpose: 'unsubscribe', recipientId: 'r', topic: 'news', issuedAt: 1 },
    });
  });

  it('refuses to sign what a public endpoint could not use', () => {
    expect(() => signToken({ purpose: 'open', recipientId: 'r', issuedAt: 1 }, keyring)).toThrow(/messageId/);
    expect(() => signToken({ purpose: 'click', recipientId: 'r', messageId: 'm', issuedAt: 1 }, keyring)).toThrow(/linkIndex/);
    expect(() => signToken({ purpose: 'open', recipientId: 'r', messageId: 'm', linkIndex: 1, issuedAt: 1 }, keyring)).toThrow(/linkIndex/);
    expect(() => signToken({ purpose: 'preferences', recipientId: '', issuedAt: 1 }, keyring)).toThrow();
    expect(() => signToken({ purpose: 'preferences', recipientId: 'r', issuedAt: 1.5 }, keyring)).toThrow();
  });

  it('refuses to sign with a missing, short or badly named current key', () => {
    const p: TokenPayload = { purpose: 'preferences', recipientId: 'r', issuedAt: 1 };
    expect(() => signToken(p, { current: 'k3', keys: { k1: K1 } })).toThrow(/keyring/);
    expect(() => signToken(p, { current: 'k', keys: { k: 'short' } })).toThrow(/keyring/);
    expect(() => signToken(p, { current: 'k.1', keys: { 'k.1': K1 } })).toThrow(/keyring/);
  });

  it.each([
    ['', 'malformed'],
    ['.', 'malformed'],
    ['abc', 'malformed'],
    ['a.b.c', 'malformed'],
    [`${'a'.repeat(2000)}.${'A'.repeat(22)}`, 'malformed'],
    [`e30.${'A'.repeat(22)}`, 'malformed'], // `{}`: not an array
    [`WzFd.${'A'.repeat(22)}`, 'malformed'], // `[1]`
    [`${Buffer.from('["k2","u","r",1]').toString('base64url')}.${'A'.repeat(21)}`, 'malformed'], // short signature
    [`${Buffer.from('["k2","u","r",1]').toString('base64url')}.${'A'.repeat(22)}`, 'bad_signature'],
    [`${Buffer.from('["k9","u","r",1]').toString('base64url')}.${'A'.repeat(22)}`, 'unknown_key'],
    [`${Buffer.from('not json').toString('base64url')}.${'A'.repeat(22)}`, 'malformed'],
    [`a b.${'A'.repeat(22)}`, 'malformed'],
  ])('rejects %j as %s', (token, reason) => {
    expect(verifyToken(token, 'unsubscribe', keyring, NOW)).toEqual({ ok: false, reason });
  });

  it('rejects non-strings without throwing', () => {
    for (const token of [undefined, null, 42, {}, [], Buffer.from('x')]) {
      expect(verifyToken(token, 'open', keyring, NOW)).toEqual({ ok: false, reason: 'malformed' });
    }
  });

  it('reports a genuinely signed but unusable payload as malformed', () => {
    // Signed with our key, as a bug elsewhere might: an unknown purpose code.
    const body = Buffer.from('["k2","z","r",1]').toString('base64url');
    const sig = createHmac('sha256', K2).update(`sendwell-token.v1.${body}`).digest().subarray(0, 16).toString('base64url');
    expect(verifyToken(`${body}.${sig}`, 'unsubscribe', keyring, NOW)).toEqual({ ok: false, reason: 'malformed' });
  });
});

// ---- properties ----

const id = fc.string({ minLength: 1, maxLength: 40, unit: 'grapheme' });
const payloadArb: fc.Arbitrary<TokenPayload> = fc
  .record({
    purpose: fc.constantFrom(...TOKEN_PURPOSES),
    recipientId: id,
    messageId: fc.option(id, { nil: undefined }),
    topic: fc.option(id, { nil: undefined }),
    linkIndex: fc.integer({ min: 0, max: 9999 }),
    issuedAt: fc.integer({ min: 0, max: NOW_S }),
    expiresAt: fc.option(fc.integer({ min: NOW_S + 1, max: 2 ** 40 }), { nil: undefined }),
  })
  .map(({ linkIndex, ...p }) => {
    const needsMessage = p.purpose === 'open' || p.purpose === 'click';
    return {
      ...p,
      messageId: needsMessage ? (p.messageId ?? 'msg') : p.messageId,
      linkIndex: p.purpose === 'click' ? linkIndex : undefined,
      expiresAt: p.purpose === 'unsubscribe' ? undefined : p.expiresAt,
    };
  });

const defined = (p: TokenPayload) => Object.fromEntries(Object.entries(p).filter(([, v]) => v !== undefined));
const keyArb = fc.uint8Array({ minLength: 16, maxLength: 64 }).map((b) => Buffer.from(b));

describe('tokens: properties', () => {
  it('round-trips every valid payload', () => {
    fc.assert(
      fc.property(payloadArb, (p) => {
        const v = verifyToken(signToken(p, keyring), p.purpose, keyring, NOW);
        expect(v).toEqual({ ok: true, payload: defined(p), kid: 'k2' });
      }),
      { numRuns: 500 },
    );
  });

  it('fails on any single-character change', () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ %é';
    fc.assert(
      fc.property(payloadArb, fc.nat(), fc.constantFrom(...alphabet), (p, at, replacement) => {
        const token = signToken(p, keyring);
        const i = at % token.length;
        fc.pre(token[i] !== replacement);
        const mutated = token.slice(0, i) + replacement + token.slice(i + 1);
        expect(verifyToken(mutated, p.purpose, keyring, NOW).ok).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });

  it('fails on every single-character change of one token, exhaustively', () => {
    const token = signToken(unsubscribe, keyring);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.';
    let tried = 0;
    for (let i = 0; i < token.length; i++) {
      for (const c of alphabet) {
        if (c === token[i]) continue;
        const mutated = token.slice(0, i) + c + token.slice(i + 1);
        if (verifyToken(mutated, 'unsubscribe', keyring, NOW).ok) expect.fail(`accepted ${mutated}`);
        tried++;
      }
    }
    expect(tried).toBe(token.length * (alphabet.length - 1));
  });

  it('fails when a character is added or removed', () => {
    fc.assert(
      fc.property(payloadArb, fc.nat(), fc.boolean(), (p, at, remove) => {
        const token = signToken(p, keyring);
        const i = at % token.length;
        const mutated = remove ? token.slice(0, i) + token.slice(i + 1) : `${token.slice(0, i)}A${token.slice(i)}`;
        expect(verifyToken(mutated, p.purpose, keyring, NOW).ok).toBe(false);
      }),
      { numRuns: 1000 },
    );
  });

  it('never verifies a token of one purpose for another', () => {
    fc.assert(
      fc.property(payloadArb, fc.constantFrom(...TOKEN_PURPOSES), (p, other: TokenPurpose) => {
        fc.pre(other !== p.purpose);
        expect(verifyToken(signToken(p, keyring), other, keyring, NOW)).toEqual({ ok: false, reason: 'wrong_purpose' });
      }),
    );
  });

  it('never verifies under a different key', () => {
    fc.assert(
      fc.property(payloadArb, keyArb, keyArb, (p, a, b) => {
        fc.pre(!a.equals(b));
        const token = signToken(p, { current: 'k', keys: { k: a } });
        expect(verifyToken(token, p.purpose, { current: 'k', keys: { k: b } }, NOW)).toEqual({ ok: false, reason: 'bad_signature' });
      }),
    );
  });

  it('never throws and never accepts garbage', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary', maxLength: 300 }),
          fc.tuple(fc.base64String(), fc.base64String()).map(([a, b]) => `${a}.${b}`),
          fc.json().map((j) => `${Buffer.from(j).toString('base64url')}.${'A'.repeat(22)}`),
        ),
        fc.constantFrom(...TOKEN_PURPOSES),
        (token, purpose) => {
          expect(verifyToken(token, purpose, keyring, NOW).ok).toBe(false);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('timingSafeEqual', () => {
  it.each([
    ['abc', 'abc', true],
    ['abc', 'abd', false],
    ['abc', 'ab', false],
    ['', '', true],
    ['', 'a', false],
  ])('%j vs %j → %s', (a, b, equal) => {
    expect(timingSafeEqual(a, b)).toBe(equal);
    expect(timingSafeEqual(Buffer.from(a), b)).toBe(equal);
  });

  it('agrees with ordinary equality', () => {
    fc.assert(fc.property(fc.string(), fc.string(), (a, b) => timingSafeEqual(a, b) === (a === b)));
  });
});

describe('payloadProblems', () => {
  const click = { purpose: 'click', recipientId: 'r', messageId: 'm', linkIndex: 0, issuedAt: 1 };
  it('accepts every field at its limits', () => {
    expect(payloadProblems({ ...click, linkIndex: 9999, recipientId: 'r'.repeat(128), expiresAt: 0, linkSet: 'a'.repeat(64) })).toEqual([]);
  });
  it.each([
    ['an unknown purpose', { ...click, purpose: 'delete' }, /purpose/],
    ['a link index past 9999', { ...click, linkIndex: 10_000 }, /linkIndex/],
    ['a negative issue time', { ...click, issuedAt: -1 }, /issuedAt/],
    ['an unsafe integer', { ...click, issuedAt: 2 ** 53 }, /issuedAt/],
    ['an id of 129 characters', { ...click, messageId: 'm'.repeat(129) }, /messageId/],
    ['a link set with a slash', { ...click, linkSet: 'a/b' }, /linkSet/],
    ['a null where a field is absent', { ...click, topic: null }, /topic/],
  ])('names %s', (_what, payload, problem) => {
    expect(payloadProblems(payload).join('; ')).toMatch(problem);
  });
});
