/**
 * `GET /confirm/{token}` shows what is being confirmed and a button, and changes nothing (mail scanners open every
 * link). `POST /confirm/{token}` confirms the pending opt-in; doing it twice is harmless.
 */
import { pageContainer } from '../adapters/page-container.ts';
import { escapeHtml } from '../domain/template.ts';
import { verifyToken } from '../domain/tokens.ts';
import { decide } from '../domain/decide.ts';
import { confirmOptIn } from '../services/recipients.ts';
import { toDecisionState } from '../services/recipient-view.ts';
import type { RecipientAggregate } from '../adapters/dynamo/recipient-store.ts';
import { crossSitePage, ERASED_NOTE, evidenceOf, isCrossSite, page, publicBaseUrlOf, publicPage } from './middleware/page.ts';

const invalid = () => page(404, 'Link not valid', '<h1>This link is not valid</h1><p class="note">It may have been copied incompletely. Open it again from the mail.</p>');

const erased = () => page(200, 'Nothing to confirm', `<h1>Nothing to confirm</h1><p>${ERASED_NOTE}</p>`);

export const CONFIRM_WORDING = 'confirm-page-v1';

/**
 * Why marketing of `topic` is still held for the person after the confirmation, in words for them, or undefined when
 * it is not: the page must not promise mail the send rule holds (lambdas/domain/decide.ts). An erasure tombstone the
 * confirmation lifts (a moment later, by the ledger's reader) does not count. `agg` is the person as read before the
 * confirmation: every reason named here comes before the consent's own in the rule's order, so it says the same.
 */
async function stillHeld(deps: ReturnType<typeof pageContainer>, agg: RecipientAggregate, topic: string): Promise<string | undefined> {
  const suppressions = (await deps.suppressions.list(agg.profile.addressHash)).filter((x) => x.reason !== 'erased');
  const decision = decide(toDecisionState(agg, suppressions), { class: 'marketing', topic }, deps.clock());
  if (decision.action !== 'hold') return undefined;
  switch (decision.reason) {
    case 'unsubscribed_all':
      return 'you unsubscribed from all marketing earlier, so none is sent. You can turn marketing back on in your preferences (the link is in every mail).';
    case 'complained':
    case 'suppressed':
    case 'undeliverable':
    case 'bouncing':
      return 'our records say marketing mail must not be sent to this address for now (it bounced, or was reported as unwanted). Contact us if you want it back.';
    default:
      return undefined;
  }
}

export const handler = publicPage(async (event) => {
  const deps = pageContainer();
  const keys = await deps.keys();
  const verified = verifyToken(event.pathParameters?.token ?? '', 'confirm', keys.tokens, deps.clock());
  if (!verified.ok || !verified.payload.topic) return invalid();
  const { recipientId, topic } = verified.payload;
  // A subscription must be the person's own act: not a form another site posts for them.
  if (event.requestContext.http.method === 'POST' && isCrossSite(event.headers, publicBaseUrlOf(deps))) return crossSitePage();
  const agg = await deps.recipients.get(recipientId);
  if (!agg) return erased();
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
    case 'already_confirmed': {
      const held = await stillHeld(deps, agg, topic);
      return page(
        200,
        'Subscription confirmed',
        held
          ? `<h1>Your subscription is confirmed</h1><p>You are subscribed to <strong>${name}</strong>, but ${held}</p>`
          : `<h1>You are subscribed</h1><p>You will receive <strong>${name}</strong>. Every mail has a link to unsubscribe.</p>`,
      );
    }
    case 'not_pending':
      return page(409, 'Nothing to confirm', `<h1>Nothing to confirm</h1><p>There is no pending subscription to <strong>${name}</strong>: you may have unsubscribed since.</p>`);
    case 'unknown_recipient':
      return erased();
  }
});
