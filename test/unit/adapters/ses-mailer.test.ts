import { describe, expect, it } from 'vitest';
import { encodeFromAddress } from '../../../lambdas/adapters/ses-mailer.ts';

describe('encodeFromAddress', () => {
  it('leaves an ASCII From alone', () => {
    expect(encodeFromAddress('News <news@example.com>')).toBe('News <news@example.com>');
    expect(encodeFromAddress('news@example.com')).toBe('news@example.com');
  });

  it('encodes a non-ASCII display name as a MIME encoded-word', () => {
    const out = encodeFromAddress('"Jürgen Ünal" <news@example.com>');
    expect(out).toMatch(/^=\?UTF-8\?B\?[A-Za-z0-9+/=]+\?= <news@example\.com>$/);
    const encoded = /\?B\?(.+)\?=/.exec(out)?.[1] ?? '';
    expect(Buffer.from(encoded, 'base64').toString('utf8')).toBe('Jürgen Ünal');
  });
});
