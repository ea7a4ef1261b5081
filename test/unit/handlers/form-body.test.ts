/** The public pages' form bodies: both encodings RFC 8058 senders use, as browsers and HTTP clients write them. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FORM_LIMITS, FormError, parseFormBody } from '../../../lambdas/handlers/middleware/form-body.ts';

/** A multipart body exactly as `fetch` writes a FormData (undici: its content type and its bytes). */
async function asFetchWouldSend(fields: ReadonlyArray<readonly [string, string]>): Promise<{ type: string; body: string }> {
  const form = new FormData();
  for (const [name, value] of fields) form.append(name, value);
  const request = new Request('http://127.0.0.1/', { method: 'POST', body: form });
  return { type: request.headers.get('content-type')!, body: await request.text() };
}

describe('parseFormBody', () => {
  it('reads the RFC 8058 body in either encoding', async () => {
    expect(parseFormBody('application/x-www-form-urlencoded', 'List-Unsubscribe=One-Click', false)).toEqual({ 'List-Unsubscribe': 'One-Click' });
    const { type, body } = await asFetchWouldSend([['List-Unsubscribe', 'One-Click']]);
    expect(parseFormBody(type, body, false)).toEqual({ 'List-Unsubscribe': 'One-Click' });
    expect(parseFormBody(type, Buffer.from(body).toString('base64'), true)).toEqual({ 'List-Unsubscribe': 'One-Click' });
  });

  it('keeps every value of a repeated name, and text as written (UTF-8, line breaks, "=" and "&")', async () => {
    const fields = [['topic', 'news'], ['topic', 'offers'], ['note', 'Grüße\r\nsecond line'], ['q', 'a=b&c']] as const;
    const { type, body } = await asFetchWouldSend(fields);
    const expected = { topic: ['news', 'offers'], note: 'Grüße\r\nsecond line', q: 'a=b&c' };
    expect(parseFormBody(type, body, false)).toEqual(expected);
    expect(parseFormBody('application/x-www-form-urlencoded; charset=UTF-8', new URLSearchParams(fields as unknown as string[][]).toString(), false)).toEqual(expected);
  });

  it('reads any fields fetch writes, the same as their urlencoded form (property)', async () => {
    const name = fc.string({ minLength: 1, maxLength: 20 }).filter((s) => !/["\r\n\\]/.test(s));
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(name, fc.string({ maxLength: 60 })), { maxLength: 8 }), async (fields) => {
        const { type, body } = await asFetchWouldSend(fields);
        // FormData normalizes a lone CR or LF in a value to CRLF; URLSearchParams keeps them: compare like with like.
        const normalized = fields.map(([n, v]) => [n, v.replace(/\r\n|\r|\n/g, '\r\n')]);
        expect(parseFormBody(type, body, false)).toEqual(parseFormBody('application/x-www-form-urlencoded', new URLSearchParams(normalized).toString(), false));
      }),
      { numRuns: 100 },
    );
  });

  it('takes a quoted boundary, and leaves other content types alone', () => {
    const body = '--b q\r\nContent-Disposition: form-data; name="via"\r\n\r\npage\r\n--b q--\r\n';
    expect(parseFormBody('multipart/form-data; boundary="b q"', body, false)).toEqual({ via: 'page' });
    expect(parseFormBody('text/plain', 'List-Unsubscribe=One-Click', false)).toBeUndefined();
    expect(parseFormBody(undefined, 'x', false)).toBeUndefined();
  });

  it.each([
    ['no boundary', 'multipart/form-data', '--x\r\n'],
    ['no closing boundary', 'multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1'],
    ['a part without headers', 'multipart/form-data; boundary=x', '--x\r\nnothing\r\n--x--'],
    ['a file', 'multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="f"; filename="a.txt"\r\n\r\n1\r\n--x--'],
    ['a part without a name', 'multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data\r\n\r\n1\r\n--x--'],
    ['too many fields', 'application/x-www-form-urlencoded', Array.from({ length: FORM_LIMITS.fields + 1 }, (_, i) => `f${i}=1`).join('&')],
    ['a field too long', 'application/x-www-form-urlencoded', `a=${'x'.repeat(FORM_LIMITS.fieldBytes + 1)}`],
    ['a body too long', 'application/x-www-form-urlencoded', 'x'.repeat(FORM_LIMITS.bodyBytes + 1)],
  ])('refuses %s', (_what, type, body) => {
    expect(() => parseFormBody(type, body, false)).toThrow(FormError);
  });
});
