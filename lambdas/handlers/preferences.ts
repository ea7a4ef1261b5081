/**
 * `GET /p/{token}` — the preference page: every topic, "unsubscribe from all marketing", tracking consent, and
 * "do not sell or share my personal information". `POST /p/{token}` saves it and shows what changed. A request
 * with `Sec-GPC: 1` records a do-not-sell-or-share opt-out. Plain HTML, no JavaScript, labelled controls.
 */
import { container } from '../adapters/container.ts';
import { escapeHtml } from '../domain/template.ts';
import { verifyToken } from '../domain/tokens.ts';
import { honorGpc, preferenceView, savePreferences, type PreferenceView } from '../services/recipient-actions.ts';
import { evidenceOf, field, fields, page, publicPage } from './middleware/page.ts';

export const PREFERENCES_WORDING = 'preference-page-v1';

const INVALID = page(404, 'Link not valid', '<h1>This link is not valid</h1><p class="note">Open your preferences again from a recent mail.</p>');

const checked = (on: boolean) => (on ? ' checked' : '');

function render(view: PreferenceView, notices: readonly string[], gpc: boolean): string {
  const r = view.recipient;
  const topics = view.topics
    .map((t, i) => {
      const state = t.status === 'pending' ? ' <span class="note">(waiting for your confirmation)</span>' : '';
      const description = t.description ? `<br><span class="note">${escapeHtml(t.description)}</span>` : '';
      return `<li><input type="checkbox" id="topic-${i}" name="topic" value="${escapeHtml(t.id)}"${checked(t.status === 'opted_in' || t.status === 'pending')}>
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
<p><input type="checkbox" id="unsubscribed_all" name="unsubscribed_all" value="on"${checked(r.unsubscribedAll)}>
<label for="unsubscribed_all">Unsubscribe from all marketing</label></p>
<p><input type="checkbox" id="tracking" name="tracking" value="on"${checked(r.tracking)}>
<label for="tracking">Let us see when I open mail and which links I click</label></p>
<p><input type="checkbox" id="do_not_sell" name="do_not_sell" value="on"${checked(r.doNotSell)}${gpc ? ' disabled' : ''}>
<label for="do_not_sell">Do not sell or share my personal information</label>${gpc ? '<br><span class="note">On because your browser sends Global Privacy Control.</span>' : ''}</p>
<button type="submit">Save preferences</button>
</form>`;
}

export const handler = publicPage(async (event) => {
  const deps = container();
  const keys = await deps.keys();
  const verified = verifyToken(event.pathParameters?.token ?? '', 'preferences', keys.tokens, deps.clock());
  if (!verified.ok) return INVALID;
  const { recipientId } = verified.payload;
  const gpc = event.headers['sec-gpc']?.trim() === '1';
  const evidence = evidenceOf(event, PREFERENCES_WORDING);
  const notices: string[] = [];
  if (gpc && (await honorGpc(deps, recipientId, { ...evidence, wording: 'sec-gpc' }))) {
    notices.push('Your browser’s Global Privacy Control signal was honored: we will not sell or share your personal information.');
  }

  if (event.requestContext.http.method === 'POST' && field(event, 'form') === 'preferences') {
    const result = await savePreferences(
      deps,
      recipientId,
      {
        topics: fields(event, 'topic'),
        unsubscribedAll: field(event, 'unsubscribed_all') === 'on',
        tracking: field(event, 'tracking') === 'on',
        doNotSell: field(event, 'do_not_sell') === 'on',
      },
      evidence,
      gpc,
    );
    notices.push(result.changes.length ? `Saved: ${result.changes.join('; ')}.` : 'Saved. Nothing changed.');
    if (result.pending.length) notices.push(`We sent you a mail to confirm ${result.pending.join(', ')}.`);
  }
  const view = await preferenceView(deps, recipientId);
  if (!view) return INVALID;
  return page(200, 'Email preferences', render(view, notices, gpc));
});
