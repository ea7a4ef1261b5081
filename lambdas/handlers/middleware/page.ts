/**
 * The edge of the public pages (no login; a signed token is the key): HTML responses, no caching, no cookies, and
 * errors shown as a page, never as a stack trace or JSON internals.
 */
import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Context } from 'aws-lambda';
import { escapeHtml } from '../../domain/template.ts';
import { logger } from '../../adapters/logger.ts';
import type { HttpEvent, HttpResult } from './http.ts';

const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
} as const;

/** A complete page: title, body HTML (already escaped by the caller), one stylesheet inline. */
export function page(status: number, title: string, bodyHtml: string): HttpResult {
  return {
    statusCode: status,
    headers: { ...PAGE_HEADERS },
    body: `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title><style>
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;background:#f5f6f8;color:#1f2937;margin:0;padding:2rem 1rem;line-height:1.5}
main{max-width:32rem;margin:auto;background:#fff;border-radius:12px;padding:2rem;box-shadow:0 1px 3px rgba(0,0,0,.08)}
h1{font-size:1.4rem;margin-top:0}button{font:inherit;padding:.6rem 1.2rem;border:0;border-radius:8px;background:#1d4ed8;color:#fff;cursor:pointer}
button:focus-visible{outline:3px solid #93c5fd;outline-offset:2px}.note{color:#4b5563;font-size:.95rem}
</style></head><body><main>${bodyHtml}</main></body></html>`,
  };
}

export function publicPage(impl: (event: HttpEvent, context: Context) => Promise<HttpResult>) {
  return middy<HttpEvent, HttpResult>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(httpHeaderNormalizer())
    .use({
      onError: (request) => {
        logger.error('public page failed', { error: request.error as Error });
        request.response = page(500, 'Something went wrong', '<h1>Something went wrong</h1><p>Please try again in a moment.</p>');
      },
    })
    .handler(impl);
}

/** The evidence a public action leaves: when, the browser's user agent, and the IP (pseudonymized before storage). */
export function evidenceOf(event: HttpEvent, wording: string) {
  const http = event.requestContext.http;
  return {
    at: new Date().toISOString(),
    ...(http.sourceIp ? { ip: http.sourceIp } : {}),
    ...(http.userAgent ? { userAgent: http.userAgent.slice(0, 512) } : {}),
    wording,
  };
}
