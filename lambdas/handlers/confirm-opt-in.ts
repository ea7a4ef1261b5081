/**
 * `GET /confirm/{token}` shows what is being confirmed and a button, and changes nothing (mail scanners open every
 * link). `POST /confirm/{token}` confirms the pending opt-in; doing it twice is harmless.
 */
import { pageContainer } from '../adapters/page-container.ts';
import { escapeHtml } from '../domain/template.ts';
import { verifyToken } from '../domain/tokens.ts';
import { confirmOptIn } from '../services/recipients.ts';
import { crossSitePage, ERASED_NOTE, evidenceOf, isCrossSite, page, publicBaseUrlOf, publicPage } from './middleware/page.ts';

const invalid = () => page(404, 'Link not valid', '<h1>This link is not valid</h1><p class="note">It may have been copied incompletely. Open it again from the mail.</p>');

const erased = () => page(200, 'Nothing to confirm', `<h1>Nothing to confirm</h1><p>${ERASED_NOTE}</p>`);

export const CONFIRM_WORDING = 'confirm-page-v1';

export const handler = publicPage(async (event) => {
  const deps = pageContainer();
  const keys = await deps.keys();
  const verified = verifyToken(event.pathParameters?.token ?? '', 'confirm', keys.tokens, deps.clock());
  if (!verified.ok || !verified.payload.topic) return invalid();
  const { recipientId, topic } = verified.payload;
  // A subscription must be the person's own act: not a form another site posts for them.
  if (event.requestContext.http.method === 'POST' && isCrossSite(event.headers, publicBaseUrlOf(deps))) return crossSitePage();
  if (!(await deps.recipients.get(recipientId))) return erased();
  const topicRecord = await deps.catalog.getTopic(topic);
  const name = escapeHtml(topicRecord?.name ?? topic);

  if (event.requestContext.http.method !== 'POST') {
    return page(
      200,
      'Confirm your subscription',
      `<h1>Confirm your subscription</h1><p>You asked to receive <strong>${name}</strong>.</p>
<form method="post"><button type="submit">Yes, subscribe me</button></form>
<p class="note">If this was not you, close this page: nothing will be sent.</p>`,
    );
  }
  const outcome = await confirmOptIn(deps, recipientId, topic, evidenceOf(event, CONFIRM_WORDING));
  switch (outcome) {
    case 'confirmed':
    case 'already_confirmed':
      return page(200, 'Subscription confirmed', `<h1>You are subscribed</h1><p>You will receive <strong>${name}</strong>. Every mail has a link to unsubscribe.</p>`);
    case 'not_pending':
      return page(409, 'Nothing to confirm', `<h1>Nothing to confirm</h1><p>There is no pending subscription to <strong>${name}</strong>: you may have unsubscribed since.</p>`);
    case 'unknown_recipient':
      return erased();
  }
});
