/**
 * `GET /u/{token}` — a page naming what will be unsubscribed, with two buttons; it changes nothing (mail scanners
 * fetch every link). `POST /u/{token}` — unsubscribes at once: the RFC 8058 one-click body
 * `List-Unsubscribe=One-Click` (form-urlencoded or multipart) from a mail client, or the page's form. Idempotent,
 * 200, no redirect, no cookie.
 */
import { container } from '../adapters/container.ts';
import { escapeHtml } from '../domain/template.ts';
import { signToken, verifyToken } from '../domain/tokens.ts';
import { unsubscribe, type UnsubscribeScope } from '../services/recipient-actions.ts';
import { evidenceOf, field, page, publicPage, type PageEvent } from './middleware/page.ts';

export const UNSUBSCRIBE_WORDING = 'unsubscribe-page-v1';

const INVALID = page(404, 'Link not valid', '<h1>This link is not valid</h1><p class="note">It may have been copied incompletely. Open it again from the mail.</p>');

function isOneClick(event: PageEvent): boolean {
  if (field(event, 'List-Unsubscribe') === 'One-Click') return true;
  // A sender that posts the RFC 8058 body with an unusual content type still meant one click.
  return typeof event.body === 'string' && /(?:^|&)List-Unsubscribe=One-Click(?:&|$)/.test(event.body.trim());
}

export const handler = publicPage(async (event) => {
  const deps = container();
  const keys = await deps.keys();
  const now = deps.clock();
  const verified = verifyToken(event.pathParameters?.token ?? '', 'unsubscribe', keys.tokens, now);
  if (!verified.ok) return INVALID;
  const { recipientId, topic } = verified.payload;
  const topicRecord = topic ? await deps.catalog.getTopic(topic) : undefined;
  const topicName = escapeHtml(topicRecord?.name ?? 'this list');
  const preferencesUrl = `${deps.settings.publicBaseUrl}/p/${signToken({ purpose: 'preferences', recipientId, issuedAt: Math.floor(now.getTime() / 1000) }, keys.tokens)}`;
  const manage = `<p class="note"><a href="${escapeHtml(preferencesUrl)}">Manage all your preferences</a> · Account and service messages continue either way.</p>`;

  if (event.requestContext.http.method !== 'POST') {
    return page(
      200,
      'Unsubscribe',
      `<h1>Unsubscribe</h1><p>Stop receiving <strong>${topicName}</strong>?</p>
<form method="post"><input type="hidden" name="scope" value="topic"><button type="submit">Unsubscribe from ${topicName}</button></form>
<form method="post" style="margin-top:.75rem"><input type="hidden" name="scope" value="all"><button type="submit">Unsubscribe from all marketing</button></form>
${manage}`,
    );
  }

  const oneClick = isOneClick(event);
  const scope: UnsubscribeScope = !oneClick && field(event, 'scope') === 'all' ? 'all' : 'topic';
  await unsubscribe(deps, { recipientId, topic: topicRecord, messageId: verified.payload.messageId }, scope, oneClick ? 'one_click' : 'link', evidenceOf(event, oneClick ? 'rfc8058-one-click' : UNSUBSCRIBE_WORDING));
  const what = scope === 'all' || !topicRecord ? 'all marketing' : topicName;
  return page(200, 'Unsubscribed', `<h1>You are unsubscribed</h1><p>You will no longer receive ${what}.</p>${manage}`);
});
