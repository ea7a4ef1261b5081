import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SendwellError } from '../../../lambdas/domain/errors.ts';
import { JSON_LIMITS, readJson } from '../../../lambdas/domain/json-input.ts';
import { decodeCursor, encodeCursor } from '../../../lambdas/domain/cursor.ts';

const refusal = (f: () => unknown): SendwellError => {
  try {
    f();
  } catch (e) {
    if (e instanceof SendwellError) return e;
    throw e;
  }
  throw new Error('not refused');
};

describe('readJson: the one JSON reading step', () => {
  it('refuses an integer beyond 2^53 with the field named', () => {
    const e = refusal(() => readJson('{"attributes":{"loyaltyId":12345678901234567}}'));
    expect(e.code).toBe('validation_failed');
    expect(e.details).toEqual([{ path: 'attributes.loyaltyId', message: expect.stringContaining('send it as a string') }]);
    expect(refusal(() => readJson('{"a":[1,2,-9007199254740993]}')).details[0]!.path).toBe('a[2]');
    expect(refusal(() => readJson('{"a":1e400}')).details[0]!.path).toBe('a');
  });

  it('keeps safe integers, fractions and big numbers sent as strings exactly', () => {
    expect(readJson('{"a":9007199254740991,"b":0.1,"c":"12345678901234567"}')).toEqual({ a: 9007199254740991, b: 0.1, c: '12345678901234567' });
  });

  it('refuses nesting beyond the limit without overflowing the stack, at any depth', () => {
    const deep = '{"data":' + '['.repeat(100_000) + ']'.repeat(100_000) + '}';
    const e = refusal(() => readJson(deep));
    expect(e.code).toBe('validation_failed');
    expect(e.details[0]!.path).toMatch(/^data(\[0\])+$/);
    expect(readJson('{"a":' + '['.repeat(30) + ']'.repeat(30) + '}')).toBeTruthy();
  });

  it('refuses bodies over the size limit with 413 and bad JSON with 400', () => {
    expect(refusal(() => readJson(`"${'x'.repeat(JSON_LIMITS.maxBytes)}"`)).code).toBe('payload_too_large');
    expect(refusal(() => readJson('{"a":')).code).toBe('bad_request');
  });

  it('never throws anything but a SendwellError, whatever the text', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json({ depthSize: 'large' }), fc.jsonValue().map((v) => JSON.stringify(v))), (text) => {
        try {
          readJson(text);
        } catch (e) {
          expect(e).toBeInstanceOf(SendwellError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('opaque cursors', () => {
  const shape = { sk: (v: string) => /^\d{4}-/.test(v) };
  it('give back the key of a cursor this list issued', () => {
    expect(decodeCursor(encodeCursor('ledger', { sk: '2026-01-01T00:00:00.000Z#000#abcdef12' }), 'ledger', shape)).toEqual({ sk: '2026-01-01T00:00:00.000Z#000#abcdef12' });
  });

  it('refuse with 400 naming query.cursor anything else: garbage, another list, another key', () => {
    for (const bad of ['garbage!', 'e30', Buffer.from('{"pk":"C#x"}').toString('base64url'), encodeCursor('campaigns', { sk: '2026-01-01' }), encodeCursor('ledger', { sk: 'x' }), encodeCursor('ledger', { sk: '2026-01-01', pk: 'R#other' })]) {
      const e = refusal(() => decodeCursor(bad, 'ledger', shape));
      expect(e.code, bad).toBe('bad_request');
      expect(e.details[0]!.path).toBe('query.cursor');
    }
    fc.assert(fc.property(fc.string({ maxLength: 300 }), (s) => {
      try {
        decodeCursor(s, 'ledger', shape);
      } catch (e) {
        expect(e).toBeInstanceOf(SendwellError);
      }
    }));
  });
});
