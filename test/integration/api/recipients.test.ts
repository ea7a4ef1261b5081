/** Recipients, consent, ledger, import and suppressions through the admin API, against DynamoDB Local. */
import { beforeAll, describe, expect, it } from 'vitest';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../../../lambdas/adapters/clients.ts';
import { config } from '../../../lambdas/adapters/config.ts';
import { adminClient } from '../../support/admin-client.ts';
import { useGateway } from '../../support/suite.ts';
import { header, hrefs, mailTo, uniqueAddress } from '../../support/mailbox.ts';

let api: ReturnType<typeof adminClient>;
const suffix = Date.now().toString(36);
const topic = `deals-${suffix}`;
const strictTopic = `beta-${suffix}`;
const marketing = `deals-mail-${suffix}`;

const suite = useGateway();

beforeAll(async () => {
  api = suite.api;
  await api.post('/v1/topics', { id: topic, name: 'Deals', description: 'Offers' });
  await api.post('/v1/topics', { id: strictTopic, name: 'Beta programme', description: 'Early features', doubleOptIn: true });
  const t = await api.post('/v1/templates', {
    id: marketing,
    class: 'marketing',
    topic,
    subject: 'Deals',
    html: '<p>Deals</p><a href="{{unsubscribe_url}}">Unsubscribe</a> {{postal_address}}',
    text: 'Deals {{unsubscribe_url}} {{postal_address}}',
  });
  expect(t.status).toBe(201);
});

const ledgerItems = async (id: string) =>
  (
    await documentClient().send(
      new QueryCommand({ TableName: config().tables.ledger, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': `R#${id}` } }),
    )
  ).Items ?? [];

describe('recipients', () => {
  it('normalizes the address, merges the same address instead of doubling it, and finds it by any spelling', async () => {
    const local = `Jane.Doe.${suffix}`;
    const created = await api.post('/v1/recipients', { email: `  ${local}@EXAMPLE.com `, country: 'us', welcome: false });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ email: `${local}@example.com`, country: 'US', jurisdiction: 'standard', tracking: true, doNotSell: false });
    const again = await api.post('/v1/recipients', { email: `${local.toLowerCase()}@example.COM`, welcome: false });
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(created.body.id);
    const found = await api.get(`/v1/recipients?email=${encodeURIComponent(`${local.toUpperCase()}@Example.com`)}`);
    expect(found.status).toBe(200);
    expect(found.body.id).toBe(created.body.id);
  });

  it('sends the welcome mail with how to opt out and the preference link, and no one-click header', async () => {
    const email = uniqueAddress('welcome');
    expect((await api.post('/v1/recipients', { email })).status).toBe(201);
    const [mail] = await mailTo(email);
    expect(mail?.subject).toBe('Welcome');
    expect(mail?.body.text).toMatch(/How to opt out/);
    expect(hrefs(mail?.body.html ?? '').some((l) => l.includes('/p/'))).toBe(true);
    expect(header(mail!, 'List-Unsubscribe')).toBeUndefined();
  });

  it('answers 400 naming the field for bad input, and 404 for an unknown recipient', async () => {
    const bad = await api.post('/v1/recipients', { email: 'not-an-address', country: 'Germany' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.map((d: { path: string }) => d.path)).toContain('country');
    const badAddress = await api.post('/v1/recipients', { email: 'a@b@example.com' });
    expect(badAddress.status).toBe(400);
    expect(badAddress.body.error.details[0]).toMatchObject({ path: 'email', message: 'not an address: more than one @ (multiple_at)' });
    const injected = await api.post('/v1/recipients', { email: 'x@example.com\r\nBcc: victim@example.com' });
    expect(injected.status).toBe(400);
    expect((await api.get('/v1/recipients/rcp_nobody')).status).toBe(404);
    expect((await api.post('/v1/recipients', '{"email":')).status).toBe(400);
  });

  it('refuses a field it does not know (a misspelt one would be lost), naming it, and changes nothing', async () => {
    const email = uniqueAddress('strict');
    const created = await api.post('/v1/recipients', { email, country: 'US', welcome: false });
    const id = created.body.id as string;
    const at = new Date().toISOString();
    const cases: Array<[string, () => Promise<{ status: number; body: { error: { message: string; details: Array<{ path?: string; message: string }> } } }>, string]> = [
      ['POST /v1/recipients', () => api.post('/v1/recipients', { email: uniqueAddress('strict2'), country: 'US', welcom: false }), 'welcom'],
      ['PATCH /v1/recipients/{id}', () => api.patch(`/v1/recipients/${id}`, { contry: 'DE' }), 'contry'],
      ['PUT …/consents/{topic}', () => api.put(`/v1/recipients/${id}/consents/${topic}`, { status: 'opted_in', source: 'import', evidance: { at } }), 'evidance'],
      ['PUT …/consents/{topic} (evidence)', () => api.put(`/v1/recipients/${id}/consents/${topic}`, { status: 'opted_in', source: 'import', evidence: { at, wordng: 'v2' } }), 'wordng'],
      ['PUT …/preferences', () => api.put(`/v1/recipients/${id}/preferences`, { unsubscribedAll: true, trackng: false }), 'trackng'],
      ['POST /v1/suppressions', () => api.post('/v1/suppressions', { email, reason: 'manual', scope: 'marketing', expires: at }), 'expires'],
      ['DELETE /v1/suppressions', () => api.del('/v1/suppressions', { email, reason: 'manual', reson: 'x' }), 'reson'],
      ['POST /v1/messages', () => api.post('/v1/messages', { template: marketing, to: { recipientId: id }, idempotency: 'k' }), 'idempotency'],
    ];
    for (const [name, call, field] of cases) {
      const res = await call();
      expect({ name, status: res.status }).toEqual({ name, status: 400 });
      expect(JSON.stringify(res.body.error), name).toContain(field);
    }
    const after = (await api.get(`/v1/recipients/${id}`)).body;
    expect(after).toMatchObject({ country: 'US', unsubscribedAll: false, suppressions: [] });
    expect(after.consents[topic]).toBeUndefined();
  });

  it('updates a recipient, merging attributes, and ledgers a change of country', async () => {
    const r = (await api.post('/v1/recipients', { email: uniqueAddress('upd'), country: 'US', attributes: { plan: 'free' }, welcome: false })).body;
    const updated = await api.patch(`/v1/recipients/${r.id}`, { country: 'FR', attributes: { tier: 2 } });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ country: 'FR', jurisdiction: 'strict', attributes: { plan: 'free', tier: 2 }, tracking: false });
    const ledger = (await api.get(`/v1/recipients/${r.id}/ledger`)).body.entries;
    expect(ledger.map((e: { subject: string }) => e.subject)).toEqual(['recipient', 'country']);
    expect((await api.patch(`/v1/recipients/${r.id}`, {})).status).toBe(400);
  });

  it('changes attributes in place: two changes at once both stay, null takes one away, and 50 is the most after a change', async () => {
    const r = (await api.post('/v1/recipients', { email: uniqueAddress('attrs'), country: 'US', attributes: { plan: 'free', team: 'a' }, welcome: false })).body;
    const both = await Promise.all([
      api.patch(`/v1/recipients/${r.id}`, { attributes: { tier: 2 } }),
      api.patch(`/v1/recipients/${r.id}`, { attributes: { city: 'Lyon', team: null } }),
      api.patch(`/v1/recipients/${r.id}`, { attributes: { vip: true } }),
    ]);
    expect(both.map((b) => b.status)).toEqual([200, 200, 200]);
    expect((await api.get(`/v1/recipients/${r.id}`)).body.attributes).toEqual({ plan: 'free', tier: 2, city: 'Lyon', vip: true });
    const many = Object.fromEntries(Array.from({ length: 47 }, (_, i) => [`a${i}`, i]));
    const over = await api.patch(`/v1/recipients/${r.id}`, { attributes: many });
    expect(over.status).toBe(400);
    expect(over.body.error.details[0]).toMatchObject({ path: 'attributes' });
    expect(Object.keys((await api.get(`/v1/recipients/${r.id}`)).body.attributes)).toHaveLength(4);
    // Taking some away makes room in the same change (a request names at most 50).
    const { a0: _dropped, ...fewer } = many;
    const swap = await api.patch(`/v1/recipients/${r.id}`, { attributes: { ...fewer, plan: null, tier: null, city: null, vip: null } });
    expect(swap.status, JSON.stringify(swap.body)).toBe(200);
    expect(Object.keys(swap.body.attributes)).toHaveLength(46);
  });
});

describe('consent and the ledger', () => {
  it('ledgers every change in the same transaction, with the IP only pseudonymized', async () => {
    const r = (await api.post('/v1/recipients', { email: uniqueAddress('ledger'), country: 'US', welcome: false })).body;
    const evidence = { at: '2026-11-01T10:00:00Z', ip: '203.0.113.77', userAgent: 'Mozilla/5.0 test', wording: 'signup-v3' };
    expect((await api.put(`/v1/recipients/${r.id}/consents/${topic}`, { status: 'opted_in', source: 'signup_form', evidence })).status).toBe(200);
    expect((await api.put(`/v1/recipients/${r.id}/consents/${topic}`, { status: 'opted_in', source: 'api' })).status).toBe(200); // no change
    await api.put(`/v1/recipients/${r.id}/consents/${topic}`, { status: 'opted_out', source: 'api' });
    await api.put(`/v1/recipients/${r.id}/preferences`, { tracking: false, doNotSell: true });

    const entries = (await api.get(`/v1/recipients/${r.id}/ledger`)).body.entries as Array<Record<string, unknown>>;
    expect(entries.map((e) => [e.subject, e.from, e.to, e.source])).toEqual([
      ['recipient', null, 'created', 'api'],
      [`topic:${topic}`, null, 'opted_in', 'signup_form'],
      [`topic:${topic}`, 'opted_in', 'opted_out', 'api'],
      ['tracking', null, 'false', 'api'],
      ['do_not_sell', null, 'true', 'api'],
    ]);
    expect(entries[1]).toMatchObject({ wording: 'signup-v3', evidenceAt: '2026-11-01T10:00:00Z', userAgent: 'Mozilla/5.0 test', jurisdiction: 'standard', actor: expect.stringContaining('local-admin') });
    expect(entries[1]?.ipPseudonym).toMatch(/^[A-Za-z0-9_-]{22}$/);
    const raw = JSON.stringify(await ledgerItems(r.id));
    expect(raw).not.toContain('203.0.113.77');
    expect(raw).not.toContain('203.0.113');

    const view = (await api.get(`/v1/recipients/${r.id}`)).body;
    expect(view).toMatchObject({ tracking: false, trackingChoice: false, doNotSell: true, doNotSellChoice: true });
  });

  it('needs confirmation for a topic that asks for double opt-in, even outside the EU', async () => {
    const r = (await api.post('/v1/recipients', { email: uniqueAddress('beta'), country: 'US', welcome: false })).body;
    const res = await api.put(`/v1/recipients/${r.id}/consents/${strictTopic}`, { status: 'opted_in' });
    expect(res.body.consents[strictTopic].status).toBe('pending');
    expect((await mailTo(r.email)).some((m) => m.subject === 'Please confirm your subscription to Beta programme')).toBe(true);
  });

  it('refuses an imported opt-in without evidence, an unknown topic and a forged confirmation', async () => {
    const r = (await api.post('/v1/recipients', { email: uniqueAddress('noevidence'), welcome: false })).body;
    const res = await api.put(`/v1/recipients/${r.id}/consents/${topic}`, { status: 'opted_in', source: 'import' });
    expect(res.status).toBe(400);
    expect(res.body.error.details[0].path).toBe('evidence.at');
    expect((await api.put(`/v1/recipients/${r.id}/consents/nope-${suffix}`, { status: 'opted_in' })).status).toBe(404);
    expect((await api.put(`/v1/recipients/${r.id}/consents/${topic}`, { status: 'opted_in', source: 'confirmation' })).status).toBe(400);
  });
});

describe('import', () => {
  it('imports JSON lines with a result per row; duplicates merge; an opt-in without evidence makes no one mailable', async () => {
    const a = uniqueAddress('imp-a');
    const b = uniqueAddress('imp-b');
    const c = uniqueAddress('imp-c');
    const lines = [
      JSON.stringify({ email: a, country: 'US', consents: { [topic]: { status: 'opted_in', at: '2026-10-01T00:00:00Z', source: 'checkout' } } }),
      JSON.stringify({ email: b, country: 'US', consents: { [topic]: { status: 'opted_in' } } }),
      '{"email": broken',
      JSON.stringify({ email: 'nobody-at-example.com' }),
      JSON.stringify({ email: a.toUpperCase(), attributes: { vip: true } }),
      JSON.stringify({ email: c, country: 'DE', consents: { [topic]: { status: 'opted_in', at: '2026-10-01T00:00:00Z' } } }),
      JSON.stringify({ email: uniqueAddress('imp-d'), consents: { [`ghost-${suffix}`]: { status: 'opted_in', at: '2026-10-01T00:00:00Z' } } }),
    ].join('\n');
    const res = await api.post('/v1/recipients/import', lines, { 'content-type': 'application/x-ndjson' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ rows: 7, created: 3, updated: 0, unchanged: 0 });
    expect(res.body.rejected).toEqual([
      { line: 3, reason: 'not valid JSON' },
      { line: 4, reason: 'email: not an address: no @ in it (missing_at)' },
      { line: 7, reason: `unknown topic ghost-${suffix}` },
    ]);
    expect(res.body.warnings.map((w: { line: number }) => w.line)).toEqual([2, 5, 6]);

    const ra = (await api.get(`/v1/recipients?email=${encodeURIComponent(a)}`)).body;
    expect(ra).toMatchObject({ attributes: { vip: true }, consents: { [topic]: { status: 'opted_in', source: 'import' } } });
    const rb = (await api.get(`/v1/recipients?email=${encodeURIComponent(b)}`)).body;
    expect(rb.consents[topic]).toBeUndefined();
    const rc = (await api.get(`/v1/recipients?email=${encodeURIComponent(c)}`)).body;
    expect(rc.consents[topic].status).toBe('pending');

    const send = (email: string) => api.post('/v1/messages', { template: marketing, to: { email } });
    expect((await send(a)).body.status).toBe('sent');
    expect((await send(b)).body).toMatchObject({ status: 'held', reason: 'not_opted_in' });
    expect((await send(c)).body).toMatchObject({ status: 'held', reason: 'pending_confirmation' });

    const ledger = (await api.get(`/v1/recipients/${ra.id}/ledger`)).body.entries;
    expect(ledger[1]).toMatchObject({ subject: `topic:${topic}`, to: 'opted_in', source: 'import', evidenceAt: '2026-10-01T00:00:00Z' });
  });

  it('imports CSV, updates existing recipients and reports unchanged rows', async () => {
    const known = uniqueAddress('csv-known');
    await api.post('/v1/recipients', { email: known, country: 'US', welcome: false });
    const fresh = uniqueAddress('csv-new');
    const csv = [
      `email,country,locale,topic:${topic},consent_at,consent_source,plan`,
      `${known},US,en-US,opted_in,2026-09-09T09:09:09Z,webinar,"pro, annual"`,
      `${fresh},CA,,opted_out,,,free`,
      `"bad address",US,,,,,`,
    ].join('\r\n');
    const res = await api.post('/v1/recipients/import', csv, { 'content-type': 'text/csv' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ rows: 3, created: 1, updated: 1, rejected: [{ line: 4, reason: expect.stringMatching(/^email: /) }] });
    const k = (await api.get(`/v1/recipients?email=${encodeURIComponent(known)}`)).body;
    expect(k).toMatchObject({ locale: 'en-US', attributes: { plan: 'pro, annual' }, consents: { [topic]: { status: 'opted_in' } } });
    const again = await api.post('/v1/recipients/import', csv.split('\r\n').slice(0, 2).join('\n'), { 'content-type': 'text/csv' });
    expect(again.body).toMatchObject({ rows: 1, created: 0, updated: 0, unchanged: 1 });
  });

  it('refuses a file that is neither JSON lines nor CSV, and a CSV without an email column', async () => {
    expect((await api.post('/v1/recipients/import', '<xml/>', { 'content-type': 'application/xml' })).status).toBe(415);
    const res = await api.post('/v1/recipients/import', 'name,country\nx,US', { 'content-type': 'text/csv' });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/email/);
  });
});

describe('suppressions', () => {
  it('adds, lists and lifts; lifting a complaint needs a reason and is ledgered', async () => {
    const r = (await api.post('/v1/recipients', { email: uniqueAddress('supp'), welcome: false })).body;
    const add = await api.post('/v1/suppressions', { email: r.email.toUpperCase(), reason: 'complaint', scope: 'all' });
    expect(add.status).toBe(201);
    expect(add.body).toMatchObject({ reason: 'complaint', scope: 'marketing' }); // a complaint never blocks service mail
    expect((await api.get(`/v1/suppressions?email=${encodeURIComponent(r.email)}`)).body.suppressions).toHaveLength(1);
    expect((await api.get(`/v1/recipients/${r.id}`)).body.suppressions[0].reason).toBe('complaint');

    const noReason = await api.del('/v1/suppressions', { email: r.email, reason: 'complaint' });
    expect(noReason.status).toBe(400);
    expect(noReason.body.error.details[0].path).toBe('note');
    const lifted = await api.del('/v1/suppressions', { email: r.email, reason: 'complaint', note: 'Person wrote to support asking to be re-added (ticket 42)' });
    expect(lifted.status).toBe(200);
    expect((await api.get(`/v1/suppressions?email=${encodeURIComponent(r.email)}`)).body.suppressions).toEqual([]);
    const ledger = (await api.get(`/v1/recipients/${r.id}/ledger`)).body.entries;
    expect(ledger.at(-1)).toMatchObject({ subject: 'suppression:complaint', from: 'active', to: 'lifted', note: 'Person wrote to support asking to be re-added (ticket 42)' });
    expect((await api.del('/v1/suppressions', { email: r.email, reason: 'manual' })).status).toBe(404);
  });
});

describe('rectification of the address', () => {
  it('keeps consent history, moves the person’s suppressions, leaves the old mailbox’s, and refuses a taken address', async () => {
    const oldEmail = uniqueAddress('move-old');
    const newEmail = uniqueAddress('move-new');
    const r = (await api.post('/v1/recipients', { email: oldEmail, country: 'US', welcome: false })).body;
    await api.put(`/v1/recipients/${r.id}/consents/${topic}`, { status: 'opted_in' });
    await api.post('/v1/suppressions', { email: oldEmail, reason: 'complaint' });
    await api.post('/v1/suppressions', { email: oldEmail, reason: 'hard_bounce' });

    const moved = await api.patch(`/v1/recipients/${r.id}`, { email: newEmail.toUpperCase() });
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ id: r.id, email: newEmail.split('@')[0]!.toUpperCase() + '@example.com', consents: { [topic]: { status: 'opted_in' } } });
    expect(moved.body.suppressions.map((s: { reason: string }) => s.reason)).toEqual(['complaint']);
    expect((await api.get(`/v1/recipients?email=${encodeURIComponent(newEmail)}`)).body.id).toBe(r.id);
    expect((await api.get(`/v1/recipients?email=${encodeURIComponent(oldEmail)}`)).status).toBe(404);
    expect((await api.get(`/v1/suppressions?email=${encodeURIComponent(oldEmail)}`)).body.suppressions.map((s: { reason: string }) => s.reason)).toEqual(['hard_bounce']);
    const entry = (await api.get(`/v1/recipients/${r.id}/ledger`)).body.entries.at(-1);
    expect(entry).toMatchObject({ subject: 'email', from: expect.stringMatching(/^m\*\*\*@example\.com$/), to: expect.stringMatching(/^M\*\*\*@example\.com$/) });

    const other = (await api.post('/v1/recipients', { email: uniqueAddress('move-other'), welcome: false })).body;
    const taken = await api.patch(`/v1/recipients/${other.id}`, { email: newEmail });
    expect(taken.status).toBe(409);
    expect(taken.body.error.details[0].path).toBe('email');
  });
});
