import { describe, expect, it } from 'vitest';
import { deriveKeys, parseKeyring } from '../../../lambdas/adapters/keys.ts';

describe('parseKeyring', () => {
  it('reads the secret layout: current plus keys by id', () => {
    expect(parseKeyring('{"current":"k2","k1":"old-key-0123456789","k2":"new-key-0123456789"}')).toEqual({
      current: 'k2',
      keys: { k1: 'old-key-0123456789', k2: 'new-key-0123456789' },
    });
  });

  it('refuses a current key that is missing, and keys that are too short', () => {
    expect(() => parseKeyring('{"current":"k9","k1":"old-key-0123456789"}')).toThrow(/current/);
    expect(() => parseKeyring('{"current":"k1","k1":"short"}')).toThrow(/16 characters/);
  });
});

describe('deriveKeys', () => {
  it('derives separate, stable keys for address hashes and IP pseudonyms', () => {
    const a = deriveKeys({ current: 'k1', keys: {} }, 'a-pseudonym-secret-of-32-characters!!');
    const b = deriveKeys({ current: 'k1', keys: {} }, 'a-pseudonym-secret-of-32-characters!!');
    expect(a.addressPepper.equals(b.addressPepper)).toBe(true);
    expect(a.addressPepper.equals(a.ipKey)).toBe(false);
    expect(a.addressPepper).toHaveLength(32);
  });
});
