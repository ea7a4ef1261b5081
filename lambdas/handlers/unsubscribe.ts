/**
 * `GET /u/{token}` — a page naming what will be unsubscribed, with two buttons; it changes nothing (mail scanners
 * fetch every link). `POST /u/{token}` — unsubscribes at once. Idempotent, 200, no redirect, no cookie, any origin
 * (RFC 8058: the mail client posts from wherever it runs).
 *
 * The source recorded is `one_click` for every POST — the RFC 8058 body in either encoding, no body, no or any content
 * type — except the page's own buttons, which say so in a field of their form (`via=page`) and are recorded as `link`.
 */
import { publicContainer } from '../adapters/public-container.ts';
import { escapeHtml } from '../domain/template.ts';
import { signToken, verifyToken } from '../domain/tokens.ts';
import type { Topic } from '../schemas/model.ts';
import { unsubscribe, type UnsubscribeScope } from '../services/unsubscribe.ts';
import { parseFormBody } from './middleware/form-body.ts';
import { ERASED_NOTE, evidenceOf, field, page, publicPage, type PageEvent } from './middleware/page.ts';

export const UNSUBSCRIBE_WORDING = 'unsubscribe-page-v1';

const invalid = () => page(404, 'Link not valid', '<h1>This link is not valid</h1><p class="note">It may have been copied incompletely. Open it again from the mail.</p>');
const erased = () => page(200, 'Nothing to unsubscribe', `<h1>Nothing to unsubscribe</h1><p>${ERASED_NOTE}</p>`);

/**
 * The page's own buttons: everything else posted here is a one-click unsubscribe. A page served before the `via`
 * field existed posts `scope` alone; a mail client never does.
 */
const fromPage = (event: PageEvent) =>
  field(event, 'via') === 'page' || (field(event, 'scope') !== undefined && field(event, 'List-Unsubscribe') === undefined);

export const handler = publicPage(
  async (event) => {
    const deps = publicContainer();
    const keys = await deps.keys();
    const now = deps.clock();
    const verified = verifyToken(event.pathParameters?.token ?? '', 'unsubscribe', keys.tokens, now);
    if (!verified.ok) return invalid();
    const { recipientId, topic } = verified.payload;
    const isPost = event.requestContext.http.method === 'POST';
    const preferencesUrl = `${deps.settings.publicBaseUrl}/p/${signToken({ purpose: 'preferences', recipientId, issuedAt: Math.floor(now.getTime() / 1000) }, keys.tokens)}`;
    const manage = `<p class="note"><a href="${escapeHtml(preferencesUrl)}">Manage all your preferences</a> · Account and service messages continue either way.</p>`;
    const nameOf = (t: Topic | undefined) => escapeHtml(t?.name ?? 'this list');

    if (!isPost) {
      // The page needs to know the person still exists; a POST learns it from unsubscribe(), which reads it with the rest.
      const [topicRecord, person] = await Promise.all([topic ? deps.catalog.getTopic(topic) : undefined, deps.recipients.get(recipientId)]);
      // Signed by us for a real person: gone now means erased.
      if (!person) return erased();
      const topicName = nameOf(topicRecord);
      return page(
        200,
        'Unsubscribe',
        `<h1>Unsubscribe</h1><p>Stop receiving <strong>${topicName}</strong>?</p>
<form method="post"><input type="hidden" name="via" value="page"><input type="hidden" name="scope" value="topic"><button type="submit">Unsubscribe from ${topicName}</button></form>
<form method="post" style="margin-top:.75rem"><input type="hidden" name="via" value="page"><input type="hidden" name="scope" value="all"><button type="submit">Unsubscribe from all marketing</button></form>
${manage}`,
      );
    }

    const oneClick = !fromPage(event);
    const scope: UnsubscribeScope = !oneClick && field(event, 'scope') === 'all' ? 'all' : 'topic';
    const done = await unsubscribe(
      deps,
      { recipientId, topicId: topic, messageId: verified.payload.messageId },
      scope,
      oneClick ? 'one_click' : 'link',
      evidenceOf(event, oneClick ? 'rfc8058-one-click' : UNSUBSCRIBE_WORDING),
    );
    if (done.outcome === 'unknown_recipient') return erased();
    const what = scope === 'all' || !done.topic ? 'all marketing' : nameOf(done.topic);
    return page(200, 'Unsubscribed', `<h1>You are unsubscribed</h1><p>You will no longer receive ${what}.</p>${manage}`);
  },
  { readForm: parseFormBody, anyBody: true },
);
