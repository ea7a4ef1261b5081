import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pseudonymizeIp } from '../../../lambdas/domain/pseudonymize.ts';

const KEY = Buffer.alloc(32, 7);
const p = (ip: string | null | undefined) => pseudonymizeIp(ip, KEY);

describe('pseudonymizeIp', () => {
  it('is 22 base64url characters', () => {
    expect(p('203.0.113.9')).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(p('2001:db8::1')).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it('keeps only the IPv4 /24', () => {
    expect(p('203.0.113.9')).toBe(p('203.0.113.200'));
    expect(p('203.0.113.9')).toBe(p('203.0.113.0'));
    expect(p('203.0.113.9')).not.toBe(p('203.0.114.9'));
    expect(p('203.0.113.9')).not.toBe(p('204.0.113.9'));
  });

  it('keeps only the IPv6 /48', () => {
    expect(p('2001:db8:1::1')).toBe(p('2001:db8:1:ffff:ffff:ffff:ffff:ffff'));
    expect(p('2001:db8:1::1')).toBe(p('2001:0DB8:0001:0000:0000:0000:0000:0001'));
    expect(p('2001:db8:1::1')).not.toBe(p('2001:db8:2::1'));
    expect(p('2001:db8::')).toBe(p('2001:db8:0:1::'));
  });

  it('treats IPv4-mapped IPv6 as the IPv4 address it carries', () => {
    expect(p('::ffff:203.0.113.9')).toBe(p('203.0.113.77'));
    expect(p('::ffff:cb00:7109')).toBe(p('203.0.113.9'));
    // Not mapped: only the ::ffff:0:0/96 prefix is.
    expect(p('::203.0.113.9')).not.toBe(p('203.0.113.9'));
  });

  it('ignores surrounding spaces and an IPv6 zone', () => {
    expect(p(' 203.0.113.9 ')).toBe(p('203.0.113.9'));
    expect(p('fe80::1%eth0')).toBe(p('fe80::2'));
  });

  it('does not confuse the families: 1.2.3.x is not 0102:03xx::', () => {
    expect(p('1.2.3.4')).not.toBe(p('102:300::'));
  });

  it('depends on the key', () => {
    expect(pseudonymizeIp('203.0.113.9', 'one key of enough length')).not.toBe(pseudonymizeIp('203.0.113.9', 'another key of enough len'));
    expect(pseudonymizeIp('203.0.113.9', 'k')).toBe(pseudonymizeIp('203.0.113.9', Buffer.from('k')));
  });

  it.each([undefined, null, '', 'not an ip', '203.0.113', '203.0.113.256', '010.0.0.1', '203.0.113.9:443', '[2001:db8::1]', '2001:db8:::1', '1::2::3'])(
    'returns null for %j',
    (ip) => {
      expect(p(ip)).toBeNull();
    },
  );

  it('never returns any part of a raw address', () => {
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.ipV6(), fc.ipV4Extended(), fc.string()), (ip) => {
        const out = p(ip);
        if (out === null) return;
        expect(out).toMatch(/^[A-Za-z0-9_-]{22}$/);
        expect(out.includes(ip)).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });

  it('gives every IPv6 spelling of one /48 the same pseudonym', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 }), (words) => {
        fc.pre(!(words.slice(0, 5).every((w) => w === 0) && words[5] === 0xffff));
        const full = words.map((w) => w.toString(16).padStart(4, '0')).join(':');
        const short = words.map((w) => w.toString(16)).join(':');
        const sameNetwork = [...words.slice(0, 3), 0, 0, 0, 0, 1].map((w) => w.toString(16)).join(':');
        expect(p(full)).toBe(p(short));
        expect(p(full)).toBe(p(sameNetwork));
      }),
    );
  });
});
