/**
 * The edge of the public pages (no login; a signed token is the key): HTML responses, no caching, no cookies, and
 * errors shown as a page, never as a stack trace or JSON internals.
 */
import middy from '@middy/core';
import { flushMetrics } from '../../adapters/metrics.ts';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Context } from 'aws-lambda';
import { escapeHtml } from '../../domain/template.ts';
import { branding, type Branding } from '../../adapters/config.ts';
import { logger } from '../../adapters/logger.ts';
import type { FormFields, parseFormBody } from './form-body.ts';
import type { HttpEvent, HttpResult } from './http.ts';

export type { FormFields };

const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
} as const;

const CSP = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'";

/** Said on every page a token of an erased person leads to. */
export const ERASED_NOTE = 'Your data was erased: we no longer hold your address, your choices or your history, and you will get no marketing from us.';

/** The stage's branding; a bad setting is logged once and shown as no branding, never as a broken page. */
function pageBranding(): Branding {
  try {
    return branding();
  } catch (e) {
    logger.error('branding not shown', { error: e as Error });
    return {};
  }
}

/** A complete page: title, body HTML (already escaped by the caller), one stylesheet inline, the sender's branding. */
export function page(status: number, title: string, bodyHtml: string, b: Branding = pageBranding()): HttpResult {
  const logoOrigin = b.logoUrl ? new URL(b.logoUrl).origin : undefined;
  const header =
    b.senderName || b.logoUrl
      ? `<header class="brand">${b.logoUrl ? `<img src="${escapeHtml(b.logoUrl)}" alt="${escapeHtml(b.senderName ?? '')}" height="40">` : ''}${b.senderName ? `<span>${escapeHtml(b.senderName)}</span>` : ''}</header>`
      : '';
  // The name before the address, unless the address already starts with it.
  const named = b.senderName && b.postalAddress && !b.postalAddress.startsWith(b.senderName) ? `${escapeHtml(b.senderName)} · ` : '';
  const footer = b.postalAddress ? `<footer><p class="note">${named}${escapeHtml(b.postalAddress)}</p></footer>` : '';
  return {
    statusCode: status,
    headers: { ...PAGE_HEADERS, 'content-security-policy': logoOrigin ? `${CSP}; img-src ${logoOrigin}` : CSP },
    body: `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}${b.senderName ? ` · ${escapeHtml(b.senderName)}` : ''}</title><style>
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;background:#f5f6f8;color:#1f2937;margin:0;padding:2rem 1rem;line-height:1.5}
main{max-width:32rem;margin:auto;background:#fff;border-radius:12px;padding:2rem;box-shadow:0 1px 3px rgba(0,0,0,.08)}
h1{font-size:1.4rem;margin-top:0}button{font:inherit;padding:.6rem 1.2rem;border:0;border-radius:8px;background:#1d4ed8;color:#fff;cursor:pointer}
button:focus-visible{outline:3px solid #93c5fd;outline-offset:2px}.note{color:#4b5563;font-size:.95rem}
.brand{display:flex;align-items:center;gap:.75rem;margin-bottom:1.25rem;font-weight:600;font-size:1.1rem}
footer{max-width:32rem;margin:1rem auto 0;text-align:center}
</style></head><body>${header ? `<div style="max-width:32rem;margin:auto">${header}</div>` : ''}<main>${bodyHtml}</main>${footer}</body></html>`,
  };
}

/**
 * Whether a form POST came from another site: `Sec-Fetch-Site` says so (every current browser sends it), or, without
 * it, an `Origin` that is neither the public base URL's nor this host's. `Origin: null` alone proves nothing: the
 * pages' `Referrer-Policy: no-referrer` makes browsers send it for their own forms. The one-click route `/u` never
 * asks: RFC 8058 mail clients post from anywhere.
 */
export function isCrossSite(headers: Readonly<Record<string, string | undefined>>, publicBaseUrl: string | undefined): boolean {
  const site = headers['sec-fetch-site']?.trim().toLowerCase();
  if (site) return site !== 'same-origin' && site !== 'none';
  const origin = headers.origin?.trim();
  if (!origin || origin === 'null') return false;
  const allowed = new Set<string>();
  if (publicBaseUrl && URL.canParse(publicBaseUrl)) allowed.add(new URL(publicBaseUrl).origin);
  const host = headers.host?.trim();
  if (host) {
    allowed.add(`https://${host}`);
    allowed.add(`http://${host}`);
  }
  return !allowed.has(origin.replace(/\/+$/, '').toLowerCase());
}

/**
 * The stage's public base URL for {@link isCrossSite}, or `undefined` where this function has no sending settings
 * (a page function may lack the From and postal addresses the settings require; the Host header then decides).
 */
export function publicBaseUrlOf(deps: { readonly settings: { readonly publicBaseUrl: string } }): string | undefined {
  try {
    return deps.settings.publicBaseUrl;
  } catch {
    return undefined;
  }
}

/** The answer to a cross-site POST: nothing changed. */
export const crossSitePage = () =>
  page(403, 'Not changed', '<h1>Nothing was changed</h1><p>This form was sent from another website. Open the link from your mail and save your choices there.</p>');

export interface PageEvent extends Omit<HttpEvent, 'body'> {
  /** Parsed form fields for form-urlencoded and multipart POSTs; the raw text otherwise. */
  readonly body?: FormFields | string;
}

/**
 * Wraps a public page handler. A page that takes forms passes `readForm` (./form-body.ts `parseFormBody`): POST bodies
 * in `application/x-www-form-urlencoded` and `multipart/form-data` (the two encodings RFC 8058 one-click senders use)
 * then arrive parsed, and a body that cannot be read is a 400 page, or with `anyBody` reaches the handler as the raw
 * text: a route that must act whatever was posted (one-click unsubscribe) still acts. A page without forms (a click)
 * loads no form reader.
 */
export function publicPage(
  impl: (event: PageEvent, context: Context) => Promise<HttpResult>,
  options: { readonly readForm?: typeof parseFormBody; readonly anyBody?: boolean } = {},
) {
  const readForm = options.readForm;
  const chain = middy<HttpEvent, HttpResult>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    // Header names in lower case, as API Gateway's payload 2.0 sends them (tests and other callers may not).
    .use({
      before: (request) => {
        const headers = request.event.headers;
        if (headers) request.event.headers = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
      },
    })
    .use(flushMetrics())
    .use({
      onError: (request) => {
        const status = (request.error as { statusCode?: number } | null)?.statusCode;
        if (status !== undefined && status >= 400 && status < 500) {
          request.response = page(400, 'Bad request', '<h1>This request could not be read</h1><p>Open the link from the mail again.</p>');
          return;
        }
        logger.error('public page failed', { error: request.error as Error });
        request.response = page(500, 'Something went wrong', '<h1>Something went wrong</h1><p>Please try again in a moment.</p>');
      },
    });
  if (readForm) {
    chain.use({
      before: (request) => {
        const event = request.event as { body?: unknown; isBase64Encoded?: boolean; headers?: Record<string, string | undefined> };
        if (typeof event.body !== 'string') return;
        try {
          const form = readForm(event.headers?.['content-type'], event.body, event.isBase64Encoded === true);
          if (form !== undefined) event.body = form;
        } catch (e) {
          // A form that cannot be read (FormError, a 400): with anyBody the handler gets the raw text instead.
          if (!(options.anyBody && (e as { statusCode?: number }).statusCode === 400)) throw e;
        }
      },
    });
  }
  return chain.handler((event, context) => impl(event as unknown as PageEvent, context));
}

/** One field of a parsed form (the first, if repeated). */
export function field(event: PageEvent, name: string): string | undefined {
  const body = event.body;
  if (typeof body !== 'object' || body === null) return undefined;
  const value = body[name];
  return Array.isArray(value) ? value[0] : (value as string | undefined);
}

/** Every value of a repeated field (ticked checkboxes). */
export function fields(event: PageEvent, name: string): string[] {
  const body = event.body;
  if (typeof body !== 'object' || body === null) return [];
  const value = body[name];
  return value === undefined ? [] : Array.isArray(value) ? [...value] : [value as string];
}

/** The evidence a public action leaves: when, the browser's user agent, and the IP (pseudonymized before storage). */
export function evidenceOf(event: Pick<HttpEvent, 'requestContext'>, wording: string) {
  const http = event.requestContext.http;
  return {
    at: new Date().toISOString(),
    ...(http.sourceIp ? { ip: http.sourceIp } : {}),
    ...(http.userAgent ? { userAgent: http.userAgent.slice(0, 512) } : {}),
    wording,
  };
}
