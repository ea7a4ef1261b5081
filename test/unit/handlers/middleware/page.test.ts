import { describe, expect, it } from 'vitest';
import type { Context } from 'aws-lambda';
import { DynamoDbError } from '../../../../lambdas/adapters/dynamo/lean-db.ts';
import { isCrossSite, page, publicBaseUrlOf, publicPage } from '../../../../lambdas/handlers/middleware/page.ts';

describe('page', () => {
  it('shows the sender name, logo and postal address, escaped, and lets only the logo’s origin serve an image', () => {
    const res = page(200, 'Unsubscribe', '<h1>x</h1>', { senderName: 'Shop <News>', logoUrl: 'https://cdn.shop.example/logo.png?v=1&x=2', postalAddress: '1 Main St & Co' });
    expect(res.body).toContain('<img src="https://cdn.shop.example/logo.png?v=1&amp;x=2" alt="Shop &lt;News&gt;" height="40"><span>Shop &lt;News&gt;</span>');
    expect(res.body).toContain('Shop &lt;News&gt; · 1 Main St &amp; Co');
    expect(res.headers?.['content-security-policy']).toBe("default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; img-src https://cdn.shop.example");
  });

  it('without branding shows neither header nor footer and allows no image', () => {
    const res = page(404, 'Link not valid', '<h1>x</h1>', {});
    expect(res.body).not.toContain('class="brand"');
    expect(res.body).not.toContain('<footer>');
    expect(res.headers?.['content-security-policy']).not.toContain('img-src');
  });
});

describe('isCrossSite', () => {
  const base = 'https://mail.shop.example';
  it.each<[Record<string, string>, boolean]>([
    [{}, false],
    [{ 'sec-fetch-site': 'same-origin' }, false],
    [{ 'sec-fetch-site': 'none' }, false],
    [{ 'sec-fetch-site': 'same-site' }, true],
    [{ 'sec-fetch-site': 'cross-site' }, true],
    [{ 'sec-fetch-site': 'cross-site', origin: base }, true],
    [{ origin: base }, false],
    [{ origin: 'null' }, false],
    [{ origin: 'https://evil.example' }, true],
    [{ origin: 'http://127.0.0.1:3000', host: '127.0.0.1:3000' }, false],
    [{ origin: 'https://mail.shop.example.evil.example' }, true],
  ])('%j → %s', (headers, expected) => expect(isCrossSite(headers, base)).toBe(expected));
});

describe('publicBaseUrlOf', () => {
  it('is undefined, not a 500, for a function without sending settings', () => {
    const broken = {
      get settings(): { publicBaseUrl: string } {
        throw new Error('Sendwell sending settings are invalid: SENDWELL_FROM_ADDRESS: Required');
      },
    };
    expect(publicBaseUrlOf(broken)).toBeUndefined();
    expect(publicBaseUrlOf({ settings: { publicBaseUrl: 'https://m.example' } })).toBe('https://m.example');
  });
});

describe('publicPage', () => {
  const event = { rawPath: '/u/x', headers: {}, requestContext: { http: { method: 'GET' } } } as never;
  const context = { functionName: 'unsubscribe', awsRequestId: 'r-1', getRemainingTimeInMillis: () => 10_000 } as unknown as Context;

  // DynamoDB's refusals are 4xx too (a condition, a validation, a missing grant, throttling after the last try): they
  // are the page's failure, not the request's, and must be answered 500 and logged, never a silent "Bad request".
  it.each([
    ['ValidationException', 400],
    ['AccessDeniedException', 400],
    ['ProvisionedThroughputExceededException', 400],
  ])('answers a DynamoDB %s (%i) with the 500 page', async (name, status) => {
    const handler = publicPage(async () => {
      throw new DynamoDbError(name, `${name} for the test`, status);
    });
    const res = await handler(event, context);
    expect(res.statusCode).toBe(500);
    expect(res.body).toContain('Something went wrong');
  });
});
