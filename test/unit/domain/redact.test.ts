import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { redact, redactingReplacer } from '../../../lambdas/domain/redact.ts';

describe('redact', () => {
  it('masks the person in an address and keeps its domain', () => {
    expect(redact('bounce for Jane.Doe+news@Example.co.uk today')).toBe('bounce for ***@Example.co.uk today');
  });

  it('masks IPv4 and IPv6 addresses', () => {
    expect(redact('from 203.0.113.9 and 2001:db8::8a2e:370:7334 and fe80::1')).toBe('from [ip] and [ip] and [ip]');
    expect(redact('full 2001:0db8:0000:0000:0000:ff00:0042:8329')).toBe('full [ip]');
  });

  it('keeps loopback addresses, which name this machine and no person', () => {
    expect(redact('listening on http://127.0.0.1:8000 and [::1]:3000')).toBe('listening on http://127.0.0.1:8000 and [::1]:3000');
  });

  it('leaves timestamps, versions and ordinary text alone', () => {
    const text = 'at 2026-11-22T00:12:25.000Z version 1.25.1 ratio 3:2 std::vector';
    expect(redact(text)).toBe(text);
  });

  it('never lets the local part of a generated address through', () => {
    fc.assert(
      fc.property(fc.emailAddress(), (email) => {
        const out = redact(`to ${email} now`);
        const local = email.slice(0, email.lastIndexOf('@'));
        expect(out).toContain('***@');
        expect(out).not.toContain(`${local}@`);
      }),
    );
  });

  it('works as a JSON replacer on nested values', () => {
    const line = JSON.stringify({ a: { to: 'x@y.example', ip: '198.51.100.7', n: 1 } }, redactingReplacer);
    expect(line).toBe('{"a":{"to":"***@y.example","ip":"[ip]","n":1}}');
  });
});
