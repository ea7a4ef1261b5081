import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addressHash, maskEmail, maskEmailAndDomain, normalizeEmail } from '../../../lambdas/domain/email-address.ts';
import { isSendwellError } from '../../../lambdas/domain/errors.ts';

describe('normalizeEmail', () => {
  it.each([
    ['jane@example.com', 'jane@example.com', 'jane@example.com'],
    ['  Jane.Doe@Example.COM\t', 'jane.doe@example.com', 'Jane.Doe@example.com'],
    ['jane@example.com\r\n', 'jane@example.com', 'jane@example.com'], // a CSV line's ending, trimmed away
    ['Jane+News@sub.example.co.uk', 'jane+news@sub.example.co.uk', 'Jane+News@sub.example.co.uk'],
    ["o'brien!#$%&*/=?^_`{|}~-@example.com", "o'brien!#$%&*/=?^_`{|}~-@example.com", "o'brien!#$%&*/=?^_`{|}~-@example.com"],
    ['jane@bücher.de', 'jane@xn--bcher-kva.de', 'jane@xn--bcher-kva.de'],
    ['jane@BÜCHER.de', 'jane@xn--bcher-kva.de', 'jane@xn--bcher-kva.de'],
    ['jane@bu\u0308cher.de', 'jane@xn--bcher-kva.de', 'jane@xn--bcher-kva.de'], // decomposed ü, NFC first
    ['jane@ＥＸＡＭＰＬＥ．com', 'jane@example.com', 'jane@example.com'], // full-width, IDNA-mapped
    ['jane@xn--bcher-kva.de', 'jane@xn--bcher-kva.de', 'jane@xn--bcher-kva.de'],
    ['a@b.co', 'a@b.co', 'a@b.co'],
    ['jane@123.example.com', 'jane@123.example.com', 'jane@123.example.com'],
  ])('accepts %j as %j', (input, address, display) => {
    const n = normalizeEmail(input);
    expect(n).toEqual({ ok: true, address, display, domain: address.slice(address.indexOf('@') + 1) });
  });

  it.each([
    ['', 'empty'],
    ['   ', 'empty'],
    ['jane@example.com\r\nBcc: victim@example.org', 'header_injection'],
    ['jane@example.com\nBcc: victim@example.org', 'header_injection'],
    ['jane\r@example.com', 'header_injection'],
    ['jane\u0000@example.com', 'control_char'],
    ['jane\u007f@example.com', 'control_char'],
    ['jane\u0085@example.com', 'control_char'],
    ['ja\u200bne@example.com', 'control_char'], // zero-width space: looks like another address
    ['jane@exa\u202emple.com', 'control_char'], // right-to-left override
    ['"john doe"@example.com', 'quoted_local'],
    ['"john@doe"@example.com', 'quoted_local'],
    ['"jane"@example.com', 'quoted_local'],
    ['jane doe@example.com', 'whitespace'],
    ['jane@exa mple.com', 'whitespace'],
    ['jane\u00a0@example.com', 'whitespace'],
    ['jane\u2028@example.com', 'whitespace'],
    ['jane.example.com', 'missing_at'],
    ['jane@doe@example.com', 'multiple_at'],
    ['jané@example.com', 'non_ascii_local'],
    ['用户@example.com', 'non_ascii_local'],
    ['@example.com', 'invalid_local'],
    ['.jane@example.com', 'invalid_local'],
    ['jane.@example.com', 'invalid_local'],
    ['ja..ne@example.com', 'invalid_local'],
    ['ja(ne)@example.com', 'invalid_local'],
    ['ja\\ne@example.com', 'invalid_local'],
    ['ja,ne@example.com', 'invalid_local'],
    [`${'a'.repeat(65)}@example.com`, 'local_too_long'],
    ['jane@', 'invalid_domain'],
    ['jane@localhost', 'invalid_domain'],
    ['jane@example', 'invalid_domain'],
    ['jane@example.com.', 'invalid_domain'],
    ['jane@.example.com', 'invalid_domain'],
    ['jane@example..com', 'invalid_domain'],
    ['jane@-example.com', 'invalid_domain'],
    ['jane@example-.com', 'invalid_domain'],
    ['jane@exa_mple.com', 'invalid_domain'],
    ['jane@[192.0.2.1]', 'invalid_domain'],
    ['jane@192.0.2.1', 'invalid_domain'],
    ['jane@0x7f.1', 'invalid_domain'], // the URL parser would read this as 127.0.0.1
    ['jane@%41.com', 'invalid_domain'], // the URL parser would percent-decode this
    ['jane@example.com/path', 'invalid_domain'],
    ['jane@example.com#x', 'invalid_domain'],
    ['jane@example.com?x', 'invalid_domain'],
    ['jane@example.com:25', 'invalid_domain'],
    [`jane@${'a'.repeat(64)}.com`, 'invalid_domain'],
    [`${'a'.repeat(64)}@${Array.from({ length: 4 }, () => 'b'.repeat(60)).join('.')}.com`, 'too_long'],
    ['a'.repeat(2000), 'too_long'],
  ])('rejects %j: %s', (input, reason) => {
    expect(normalizeEmail(input)).toEqual({ ok: false, reason });
  });

  it('accepts the longest possible address, 254 octets, and nothing longer', () => {
    const domain = `${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(55)}.com`; // 187
    const local = 'a'.repeat(64);
    const exact = `${local}@${domain}`;
    expect(exact).toHaveLength(252);
    expect(normalizeEmail(exact).ok).toBe(true);
    expect(normalizeEmail(`${local}@${domain.replace('.com', '.comxy')}`).ok).toBe(true); // 254
    expect(normalizeEmail(`${local}@${domain.replace('.com', '.comxyz')}`)).toEqual({ ok: false, reason: 'too_long' }); // 255
  });

  it('measures length on the punycode form, which is what goes on the wire', () => {
    // 60 'ü' encode to well over 63 ASCII characters once punycoded.
    expect(normalizeEmail(`jane@${'ü'.repeat(60)}.de`)).toEqual({ ok: false, reason: 'invalid_domain' });
  });

  it('never throws, and an accepted address is printable ASCII with no header-breaking characters', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (input) => {
        const n = normalizeEmail(input);
        if (n.ok) {
          expect(n.address).toMatch(/^[\x21-\x7e]+@[a-z0-9.-]+$/);
          expect(n.address.length).toBeLessThanOrEqual(254);
        }
      }),
      { numRuns: 2000 },
    );
  });

  const plausible = fc
    .tuple(
      fc.stringMatching(/^[A-Za-z0-9+_-]{1,20}(\.[A-Za-z0-9+_-]{1,10}){0,2}$/),
      fc.array(fc.stringMatching(/^[A-Za-zÀ-ÿ0-9]([A-Za-zÀ-ÿ0-9-]{0,10}[A-Za-zÀ-ÿ0-9])?$/), { minLength: 1, maxLength: 3 }),
      fc.constantFrom('com', 'DE', 'org', 'Co'),
      fc.constantFrom('', ' ', '\t', '\r\n'),
    )
    .map(([local, labels, tld, pad]) => `${pad}${local}@${[...labels, tld].join('.')}${pad}`);

  it('is idempotent: normalizing a canonical address gives it back', () => {
    fc.assert(
      fc.property(plausible, (input) => {
        const once = normalizeEmail(input);
        if (!once.ok) return;
        expect(normalizeEmail(once.address)).toEqual({ ...once, display: once.address });
        expect(normalizeEmail(once.display)).toEqual(once);
      }),
    );
  });

  it('gives every casing of one address the same canonical form', () => {
    fc.assert(
      fc.property(plausible, (input) => {
        const a = normalizeEmail(input);
        // Not `ß`: it upper-cases to `SS`, which is another domain, not another casing of this one.
        const b = normalizeEmail(Array.from(input, (c) => (c === 'ß' ? c : c.toUpperCase())).join(''));
        if (a.ok && b.ok) expect(b.address).toBe(a.address);
      }),
    );
  });
});

describe('addressHash', () => {
  it('is 43 base64url characters and the same for every spelling of the address', () => {
    const h = addressHash('jane@example.com');
    expect(h).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(addressHash('  Jane@EXAMPLE.com ')).toBe(h);
  });

  it('is stable across releases: suppressions written today must match tomorrow', () => {
    // Pinned values. If this test fails, every stored suppression and tombstone has stopped matching.
    expect(addressHash('jane@example.com')).toBe('hozwJNKiJTvQFu97yEn-pIaX7BYEOgfoUn-VVPamAqA');
    expect(addressHash('jane@example.com', 'pepper')).toBe('9Fr1SLprmD7o8TsiaZrsz9q3AyGdTDkEPIrz6B2QZaw');
  });

  it('differs with the pepper and between addresses', () => {
    const plain = addressHash('jane@example.com');
    expect(addressHash('jane@example.com', 'pepper')).not.toBe(plain);
    expect(addressHash('jane@example.com', Buffer.from('pepper'))).toBe(addressHash('jane@example.com', 'pepper'));
    expect(addressHash('jane@example.org')).not.toBe(plain);
    expect(addressHash('jane+x@example.com')).not.toBe(plain);
  });

  it('is not the bare SHA-256 of the address (no lookup in public hashed-email lists)', async () => {
    const { createHash } = await import('node:crypto');
    expect(addressHash('jane@example.com')).not.toBe(createHash('sha256').update('jane@example.com').digest('base64url'));
  });

  it('refuses what is not an address', () => {
    try {
      addressHash('not an address');
      expect.unreachable();
    } catch (e) {
      expect(isSendwellError(e) && e.code).toBe('validation_failed');
    }
  });
});

describe('maskEmail', () => {
  it.each([
    ['jane.doe@example.com', 'j***@example.com'],
    ['j@example.com', 'j***@example.com'],
    ['  Jane@Example.com ', 'J***@Example.com'],
    ['😀smile@example.com', '😀***@example.com'],
    ['not an address', '***'],
    ['@example.com', '***'],
    ['', '***'],
  ])('%j → %j', (input, masked) => {
    expect(maskEmail(input)).toBe(masked);
  });

  it('never shows more than the first character of the local part', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z]{2,20}$/), fc.domain(), (local, domain) => {
        const masked = maskEmail(`${local}@${domain}`);
        expect(masked).toBe(`${local[0]}***@${domain}`);
      }),
    );
  });
});

describe('maskEmailAndDomain', () => {
  it.each([
    ['jane.doe@example.com', 'j***@e***.com'],
    ['bob@mail.example.co.uk', 'b***@m***.uk'],
    ['bounce+x@simulator.amazonses.com', 'b***@s***.com'],
    ['😀smile@😀example.com', '😀***@😀***.com'],
    ['not an address', '***'],
    ['@example.com', '***'],
    ['jane@localhost', '***'],
    ['jane@example.', '***'],
  ])('%j → %j', (input, masked) => {
    expect(maskEmailAndDomain(input)).toBe(masked);
  });

  it('keeps nothing of the address but three characters and the last domain label', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z]{2,20}$/), fc.domain(), (local, domain) => {
        const masked = maskEmailAndDomain(`${local}@${domain}`);
        expect(masked).toBe(`${local[0]}***@${domain[0]}***.${domain.split('.').at(-1)}`);
      }),
    );
  });
});
