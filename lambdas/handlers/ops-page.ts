/**
 * `GET /ops` — the ops page: figures over time (uPlot charts), the rates against SES's thresholds, top hold reasons,
 * unsubscribes by source, recent bounces and complaints (masked), and the marketing switch. The page is a shell: it
 * holds no data and reads nothing; its script calls `/v1/metrics`, `/v1/feedback/recent` and `/v1/marketing` with
 * the caller's credentials (the admin key locally, kept in this tab's sessionStorage; on AWS the route is behind IAM
 * and the page is opened through a SigV4 signing proxy, which signs its API calls as well — docs/operations.md).
 *
 * uPlot (MIT) is served inline from the package's own files, never from a CDN. Every inline block carries a per-
 * response nonce, so the content security policy needs no `unsafe-inline` for scripts.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { refusal } from './middleware/authorize.ts';
import type { HttpEvent, HttpResult } from './middleware/http.ts';
import { OPS_SCRIPT, OPS_STYLE } from './ops-page-client.ts';

/**
 * A file of `FunctionDef.assets`: next to the deployed bundle (lib/functions.ts copies it there), else where the
 * package keeps it (the local stack and the tests).
 */
function asset(packagePath: string): string {
  const bundled = fileURLToPath(new URL(`./${basename(packagePath)}`, import.meta.url));
  if (existsSync(bundled)) return readFileSync(bundled, 'utf8');
  return readFileSync(createRequire(import.meta.url).resolve(packagePath), 'utf8');
}

let cached: { uplotJs: string; uplotCss: string } | undefined;
const uplot = () => (cached ??= { uplotJs: asset('uplot/dist/uPlot.iife.min.js'), uplotCss: asset('uplot/dist/uPlot.min.css') });

/** The page for one response; `nonce` marks the inline blocks the content security policy allows. */
export function opsPage(nonce: string): string {
  const { uplotJs, uplotCss } = uplot();
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sendwell ops</title><link rel="icon" href="data:,">
<style nonce="${nonce}">${uplotCss}</style><style nonce="${nonce}">${OPS_STYLE}</style></head>
<body>
<header><h1>Sendwell ops</h1><p class="note">Delivery, bounces, complaints, engagement and opt-outs; why mail was held back.</p></header>
<main>
<section aria-labelledby="access-h" class="card">
<h2 id="access-h">Access</h2>
<form id="key-form" class="row">
<label for="admin-key">Admin key</label>
<input id="admin-key" name="admin-key" type="password" autocomplete="off" spellcheck="false" aria-describedby="key-note">
<button type="submit">Load figures</button>
</form>
<p id="key-note" class="note">Kept in this browser tab only (sessionStorage) and sent as <code>Authorization: Bearer</code>. Leave it empty behind a SigV4 signing proxy (AWS).</p>
</section>
<section aria-labelledby="range-h" class="card">
<h2 id="range-h">Range</h2>
<form id="range-form" class="row">
<label for="from">From</label><input id="from" name="from" type="date">
<label for="to">To</label><input id="to" name="to" type="date">
<label for="topic">Topic</label><input id="topic" name="topic" type="text" placeholder="all topics" size="12">
<label for="campaign">Campaign</label><input id="campaign" name="campaign" type="text" placeholder="all campaigns" size="12">
<button type="submit">Show</button>
</form>
</section>
<p id="status" role="status" aria-live="polite" class="status">Enter the admin key to load the figures.</p>
<div id="content" hidden>
<section aria-labelledby="marketing-h" class="card">
<h2 id="marketing-h">Marketing</h2>
<p id="marketing-state" data-state="unknown"></p>
<form id="resume-form" class="row" hidden>
<label for="resume-reason">Reason to resume</label>
<input id="resume-reason" name="reason" type="text" required minlength="3" size="40">
<button type="submit">Resume marketing</button>
</form>
</section>
<section aria-labelledby="rates-h" class="card">
<h2 id="rates-h">Rates</h2>
<p class="note">Bounce and complaint rates are judged by SES (review at 5 % and 0.1 %); Sendwell warns at 4 % and 0.08 % and pauses marketing before the review.</p>
<div id="rates" class="rates"></div>
</section>
<section aria-labelledby="charts-h" class="card">
<h2 id="charts-h">Over time</h2>
<figure><figcaption id="delivery-caption">Sending and delivery per day</figcaption><div id="chart-delivery" role="img" aria-labelledby="delivery-caption"></div></figure>
<figure><figcaption id="engagement-caption">Engagement and opt-outs per day</figcaption><div id="chart-engagement" role="img" aria-labelledby="engagement-caption"></div></figure>
</section>
<section aria-labelledby="totals-h" class="card">
<h2 id="totals-h">Totals</h2>
<table id="totals"><caption class="sr-only">Totals of the range by message class</caption><thead><tr><th scope="col">Figure</th><th scope="col">Total</th><th scope="col">Service</th><th scope="col">Marketing</th></tr></thead><tbody></tbody></table>
</section>
<div class="columns">
<section aria-labelledby="holds-h" class="card">
<h2 id="holds-h">Top hold reasons</h2>
<table id="holds"><thead><tr><th scope="col">Reason</th><th scope="col">Held</th></tr></thead><tbody></tbody></table>
</section>
<section aria-labelledby="unsub-h" class="card">
<h2 id="unsub-h">Unsubscribes by source</h2>
<table id="unsubscribes"><thead><tr><th scope="col">Source</th><th scope="col">Count</th></tr></thead><tbody></tbody></table>
</section>
</div>
<section aria-labelledby="recent-h" class="card">
<h2 id="recent-h">Recent bounces and complaints</h2>
<table id="recent"><thead><tr><th scope="col">When (UTC)</th><th scope="col">Kind</th><th scope="col">Address (masked)</th><th scope="col">Detail</th><th scope="col">Message</th></tr></thead><tbody></tbody></table>
</section>
</div>
</main>
<script nonce="${nonce}">${uplotJs}</script>
<script nonce="${nonce}">${OPS_SCRIPT}</script>
</body></html>`;
}

export const handler = async (event: HttpEvent): Promise<HttpResult> => {
  // The same role check as every admin route (ops); the page's API calls are each checked again.
  const refused = refusal(event);
  if (refused) {
    return {
      statusCode: 403,
      headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
      body: JSON.stringify({ error: { code: refused.code, message: refused.message, details: [] } }),
    };
  }
  const nonce = randomBytes(16).toString('base64');
  return {
    statusCode: 200,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'referrer-policy': 'no-referrer',
      'x-content-type-options': 'nosniff',
      'content-security-policy': `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; img-src data:; connect-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'`,
    },
    body: opsPage(nonce),
  };
};
