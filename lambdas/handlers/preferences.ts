/**
 * `GET /p/{token}` — the preference page: every topic, "unsubscribe from all marketing", tracking consent, and
 * "do not sell or share my personal information". `POST /p/{token}` saves it and shows what changed. A request
 * with `Sec-GPC: 1` records a do-not-sell-or-share opt-out. Plain HTML, no JavaScript, labelled controls.
 *
 * The form changes only what the person changed: each checkbox has a hidden `off` field of the same name before it,
 * so an unticked box posts `off`, and a hidden `was:` field with the state the page showed; a box posted as it was
 * shown, or missing from the POST, leaves its setting as it is now (whatever changed since the page was served). A POST from another
 * site is refused (403, nothing changed); while the request carries `Sec-GPC: 1`, do-not-sell stays on.
 */
import { pageContainer } from '../adapters/page-container.ts';
import { escapeHtml } from '../domain/template.ts';
import { verifyToken } from '../domain/tokens.ts';
import { honorGpc, preferenceView, savePreferences, type PreferenceForm, type PreferenceView } from '../services/recipient-actions.ts';
import { resendConfirmation, type ResendOutcome } from '../services/recipients.ts';
import { parseFormBody } from './middleware/form-body.ts';
import { crossSitePage, ERASED_NOTE, evidenceOf, field, fields, isCrossSite, page, publicBaseUrlOf, publicPage, type PageEvent } from './middleware/page.ts';

export const PREFERENCES_WORDING = 'preference-page-v1';

const invalid = () => page(404, 'Link not valid', '<h1>This link is not valid</h1><p class="note">Open your preferences again from a recent mail.</p>');
const erased = () => page(200, 'No preferences held', `<h1>No preferences held</h1><p>${ERASED_NOTE}</p>`);

/**
 * A checkbox with its hidden `off` field: the last value posted wins. `undefined` when the form did not carry it, or
 * when it posts what the page showed (`was:<name>`): a page left open must not undo what changed since it was served
 * (an unsubscribe from a mail in the meantime), so only what the person changed on it is a change.
 */
function choice(event: PageEvent, name: string): boolean | undefined {
  const values = fields(event, name);
  if (values.length === 0) return undefined;
  const on = values[values.length - 1] === 'on';
  const shown = field(event, `was:${name}`);
  return shown === (on ? 'on' : 'off') ? undefined : on;
}

/**
 * A checkbox that posts `off` when unticked (the hidden field first, so a ticked box's `on` comes last), and the state
 * the page showed it in (`was:<name>`).
 */
const box = (id: string, name: string, on: boolean, disabled = false) =>
  `${disabled ? '' : `<input type="hidden" name="was:${escapeHtml(name)}" value="${on ? 'on' : 'off'}"><input type="hidden" name="${escapeHtml(name)}" value="off">`}<input type="checkbox" id="${escapeHtml(id)}" name="${escapeHtml(name)}" value="on"${checked(on)}${disabled ? ' disabled' : ''}>`;

const checked = (on: boolean) => (on ? ' checked' : '');

/** What the POST carried, and only that: a setting it does not name stays as it is. */
function preferenceForm(event: PageEvent): PreferenceForm {
  const topics: Record<string, boolean> = {};
  const body = typeof event.body === 'object' && event.body !== null ? event.body : {};
  for (const name of Object.keys(body)) {
    const on = name.startsWith('topic:') ? choice(event, name) : undefined;
    if (on !== undefined) topics[name.slice('topic:'.length)] = on;
  }
  // The form of a page served before the hidden fields: ticked topics as repeated `topic` values (they only turn on).
  for (const id of fields(event, 'topic')) topics[id] ??= true;
  const unsubscribedAll = choice(event, 'unsubscribed_all');
  const tracking = choice(event, 'tracking');
  const doNotSell = choice(event, 'do_not_sell');
  return {
    topics,
    ...(unsubscribedAll !== undefined ? { unsubscribedAll } : {}),
    ...(tracking !== undefined ? { tracking } : {}),
    ...(doNotSell !== undefined ? { doNotSell } : {}),
  };
}

/** What the page says after "Send the confirmation mail again". */
const RESENT: Readonly<Record<ResendOutcome, string>> = {
  sent: 'We sent the mail to confirm again. It can take a few minutes; look in your spam folder too.',
  held: 'Mail to this address is not delivered, so we cannot send the mail to confirm.',
  already_sent: 'We sent it again within the last hour already: look for it, in your spam folder too, or try again later.',
  not_pending: 'Nothing is waiting for your confirmation there any more.',
};

function render(view: PreferenceView, notices: readonly string[], gpc: boolean): string {
  const r = view.recipient;
  const topics = view.topics
    .map((t, i) => {
      const state = t.status === 'pending' ? ' <span class="note">(waiting for your confirmation)</span>' : '';
      const description = t.description ? `<br><span class="note">${escapeHtml(t.description)}</span>` : '';
      return `<li>${box(`topic-${i}`, `topic:${t.id}`, t.status === 'opted_in' || t.status === 'pending')}
<label for="topic-${i}">${escapeHtml(t.name)}</label>${state}${description}</li>`;
    })
    .join('\n');
  const notice = notices.length
    ? `<div role="status" style="background:#ecfdf5;border:1px solid #a7f3d0;border-radius:8px;padding:.75rem;margin-bottom:1rem">${notices.map((n) => `<p style="margin:.2rem 0">${escapeHtml(n)}</p>`).join('')}</div>`
    : '';
  return `<h1>Your email preferences</h1>${notice}
<p class="note">For ${escapeHtml(r.email)}. Account and service messages are always sent.</p>
<form method="post">
<input type="hidden" name="form" value="preferences">
<fieldset style="border:0;padding:0"><legend><strong>Topics</strong></legend><ul style="list-style:none;padding:0">${topics || '<li class="note">No topics yet.</li>'}</ul></fieldset>
<p>${box('unsubscribed_all', 'unsubscribed_all', r.unsubscribedAll)}
<label for="unsubscribed_all">Unsubscribe from all marketing</label></p>
<p>${box('tracking', 'tracking', r.tracking)}
<label for="tracking">Let us see when I open mail and which links I click</label></p>
<p>${box('do_not_sell', 'do_not_sell', r.doNotSell, gpc)}
<label for="do_not_sell">Do not sell or share my personal information</label>${gpc ? '<br><span class="note">On because your browser sends Global Privacy Control.</span>' : ''}</p>
<button type="submit">Save preferences</button>
</form>${view.topics
    .filter((t) => t.status === 'pending')
    .map(
      (t) => `
<form method="post"><input type="hidden" name="form" value="resend"><input type="hidden" name="resend" value="${escapeHtml(t.id)}">
<p class="note">No mail to confirm ${escapeHtml(t.name)}? <button type="submit">Send the confirmation mail again</button></p></form>`,
    )
    .join('')}`;
}

export const handler = publicPage(async (event) => {
  const deps = pageContainer();
  const keys = await deps.keys();
  const verified = verifyToken(event.pathParameters?.token ?? '', 'preferences', keys.tokens, deps.clock());
  if (!verified.ok) return invalid();
  const { recipientId } = verified.payload;
  const post = event.requestContext.http.method === 'POST';
  if (post && isCrossSite(event.headers, publicBaseUrlOf(deps))) return crossSitePage();
  const gpc = event.headers['sec-gpc']?.trim() === '1';
  const evidence = evidenceOf(event, PREFERENCES_WORDING);
  const notices: string[] = [];
  if (gpc && (await honorGpc(deps, recipientId, { ...evidence, wording: 'sec-gpc' }))) {
    notices.push('Your browser’s Global Privacy Control signal was honored: we will not sell or share your personal information.');
  }

  if (post && field(event, 'form') === 'preferences') {
    const result = await savePreferences(deps, recipientId, preferenceForm(event), evidence, gpc);
    notices.push(result.changes.length ? `Saved: ${result.changes.join('; ')}.` : 'Saved. Nothing changed.');
    if (result.pending.length) notices.push(`We sent you a mail to confirm ${result.pending.join(', ')}.`);
    if (result.unsent.length) notices.push(`We could not send the mail to confirm ${result.unsent.join(', ')} just now. Use “Send the confirmation mail again” below in a few minutes.`);
    if (result.undeliverable.length) notices.push(`Mail to this address is not delivered, so we cannot send the mail to confirm ${result.undeliverable.join(', ')}.`);
  }
  // A topic's "send the confirmation mail again": a form of its own, so Enter in the preferences form never sends it.
  const again = post && field(event, 'form') === 'resend' ? field(event, 'resend') : undefined;
  if (again) notices.push(RESENT[await resendConfirmation(deps, recipientId, again)]);
  // Signed by us for a real person: gone now means erased (nothing above changes a person who is not there).
  const view = await preferenceView(deps, recipientId);
  if (!view) return erased();
  return page(200, 'Email preferences', render(view, notices, gpc));
}, { readForm: parseFormBody });
