/**
 * A person erased, added again, who opts in on the preference page or through the confirm link: the page writes the
 * opt-in and its ledger entry (`suppression:erased` lifted), and the erasure tombstone is lifted by the function the
 * ledger's stream invokes — the pages themselves may only read suppressions (lambdas/wiring/table-access.ts). Before,
 * the page tried the lift itself and failed (AccessDenied on AWS and under the local grants guard) after writing the
 * ledger entry that said it was lifted.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { TABLES } from '../../../lambdas/wiring/tables.ts';
import { startStreamPoller, type RunningStreamPoller } from '../../../local/stream-poller.ts';
import { asFunction } from '../../../local/table-access-guard.ts';
import { LEDGER_STREAM } from '../../../lambdas/wiring/event-functions.ts';
import { hrefs, mailTo } from '../../support/mailbox.ts';
import { pathOf } from '../../support/scenario.ts';
import { useGateway } from '../../support/suite.ts';

const suite = useGateway('reborn');
let ledgerReader: RunningStreamPoller;
const readerErrors: string[] = [];

beforeAll(async () => {
  const { handler } = await import('../../../lambdas/handlers/relay-ledger-stream.ts');
  ledgerReader = startStreamPoller({
    endpoint: inject('sendwell').dynamodbEndpoint,
    // This file's own tables (useGateway): their names are in the environment by now.
    tableName: process.env[TABLES.ledger.envKey]!,
    handler: asFunction('relayLedgerStream', handler),
    filters: LEDGER_STREAM.filters,
    startAt: 'LATEST',
    intervalMs: 100,
    onError: (e) => readerErrors.push(String(e)),
  });
  await ledgerReader.drain();
});
afterAll(async () => {
  await ledgerReader?.stop();
});

const form = (fields: Record<string, string>) => ({ method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() });

/** A person with a marketing mail, erased, then added again (no consent) and sent a service mail with its preference link. */
async function erasedAndBack(label: string, country = 'US') {
  const { api, s } = suite;
  const first = await s.recipient(label, country);
  expect((await api.del(`/v1/recipients/${first.id}`)).status).toBe(200);
  const again = await api.post('/v1/recipients', { email: first.email, country, welcome: false });
  expect(again.status).toBe(201);
  expect((await s.sendService({ recipientId: again.body.id })).status).toBe('sent');
  const mail = (await mailTo(first.email)).at(-1)!;
  const preferences = pathOf(hrefs(mail.body.html ?? '').find((l) => l.includes('/p/'))!);
  return { id: again.body.id as string, email: first.email, preferences };
}

const suppressionsOf = async (email: string) => (await suite.api.get(`/v1/suppressions?email=${encodeURIComponent(email)}`)).body.suppressions as Array<{ reason: string }>;

/** The page ledgered the lift (by `source`); once the ledger's reader has read it the tombstone is gone and marketing goes out. */
async function expectLifted(p: { id: string; email: string }, source: string) {
  const ledger = (await suite.api.get(`/v1/recipients/${p.id}/ledger`)).body.entries as Array<{ subject: string; to: string; source: string }>;
  expect(ledger.filter((e) => e.subject === 'suppression:erased').map((e) => [e.to, e.source])).toEqual([['lifted', source]]);
  await ledgerReader.drain();
  expect(readerErrors).toEqual([]);
  expect(await suppressionsOf(p.email)).toEqual([]);
  expect((await suite.s.sendMarketing({ recipientId: p.id })).status).toBe('sent');
}

describe('an opt-in on the pages after an erasure', () => {
  it('the preference page takes the opt-in, and the tombstone is lifted from the ledger entry: marketing goes out', async () => {
    const { s } = suite;
    const p = await erasedAndBack('page');
    expect((await s.sendMarketing({ recipientId: p.id })).reason).toBe('erased');

    const saved = await suite.gw.call(p.preferences, form({ form: 'preferences', topic: s.topic }));
    expect(saved.status).toBe(200);
    expect(await saved.text()).toContain('Saved:');
    await expectLifted(p, 'preference_page');
  });

  it('the confirm link of a double opt-in lifts it the same way', async () => {
    const { api, s } = suite;
    const p = await erasedAndBack('confirm', 'DE');
    // A signup form's request, with its evidence: pending, a confirmation mail, and no lift until it is confirmed.
    const evidence = { at: new Date().toISOString(), wording: 'signup-v3' };
    expect((await api.put(`/v1/recipients/${p.id}/consents/${s.topic}`, { status: 'opted_in', source: 'signup_form', evidence })).status).toBe(200);
    expect((await api.get(`/v1/recipients/${p.id}`)).body.consents[s.topic].status).toBe('pending');
    await ledgerReader.drain();
    expect((await suppressionsOf(p.email)).map((x) => x.reason)).toEqual(['erased']);
    expect((await api.get(`/v1/recipients/${p.id}/ledger`)).body.entries.some((e: { subject: string }) => e.subject === 'suppression:erased')).toBe(false);
    // The last one: the person's first life got one too (DE asks for confirmation), whose link now says "erased".
    const confirmMail = (await mailTo(p.email)).filter((m) => m.subject.startsWith('Please confirm')).at(-1)!;
    const confirm = pathOf(hrefs(confirmMail.body.html ?? '').find((l) => l.includes('/confirm/'))!);
    const page = await suite.gw.call(confirm, { method: 'POST' });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('You are subscribed');
    await expectLifted(p, 'confirmation');
  });

  it('a lift carried out later leaves a tombstone made since, and lifts nothing for a person gone', async () => {
    const p = await erasedAndBack('later');
    const [{ container }, { liftLedgeredTombstone }, { addressHash }, { runtimeKeys }] = await Promise.all([
      import('../../../lambdas/adapters/container.ts'),
      import('../../../lambdas/services/privacy.ts'),
      import('../../../lambdas/domain/email-address.ts'),
      import('../../../lambdas/adapters/keys.ts'),
    ]);
    const deps = container();
    const hash = addressHash(p.email, (await runtimeKeys()).addressPepper);
    const decidedBefore = { pk: `R#${p.id}`, subject: 'suppression:erased', to: 'lifted', at: '2020-01-01T00:00:00.000Z' };
    expect(await liftLedgeredTombstone(deps, decidedBefore)).toBe(false);
    expect((await suppressionsOf(p.email)).map((x) => x.reason)).toEqual(['erased']);
    // Another subject, or a person no longer there: nothing.
    const now = new Date().toISOString();
    expect(await liftLedgeredTombstone(deps, { ...decidedBefore, subject: 'suppression:complaint', at: now })).toBe(false);
    expect(await liftLedgeredTombstone(deps, { ...decidedBefore, pk: 'R#nobody', at: now })).toBe(false);
    expect((await deps.suppressions.listMany([hash])).get(hash)?.map((x) => x.reason)).toEqual(['erased']);
    // Decided after the tombstone was made: lifted, once.
    expect(await liftLedgeredTombstone(deps, { ...decidedBefore, at: now })).toBe(true);
    expect(await liftLedgeredTombstone(deps, { ...decidedBefore, at: now })).toBe(false);
    expect(await suppressionsOf(p.email)).toEqual([]);
  });
});
