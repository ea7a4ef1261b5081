/**
 * The partner relay end to end: consent changes through the admin API → the ledger's stream on DynamoDB Local →
 * the relay handler → signed webhooks to receivers on loopback; a receiver that was down gets its events by replay.
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { verifyWebhook, type PartnerEvent } from '../../lambdas/domain/partner-events.ts';
import { ENV } from '../../lambdas/wiring/env-keys.ts';
import { TABLES } from '../../lambdas/wiring/tables.ts';
import { localTableName } from '../../local/handler-env.ts';
import { freePort } from '../../local/ports.ts';
import { startStreamPoller, type RunningStreamPoller } from '../../local/stream-poller.ts';
import { adminClient } from '../support/admin-client.ts';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';
import { marketingScenario, type Scenario } from '../support/scenario.ts';

interface Received {
  readonly partner: string;
  readonly event: PartnerEvent;
  readonly verified: boolean;
}

const SECRETS = { crm: 'crm-secret-0123456789abcdef', ads: 'ads-secret-0123456789abcdef' } as const;
const received: Received[] = [];
const pollErrors: string[] = [];
let up = true;
let receiver: Server;
let gw: TestGateway;
let api: ReturnType<typeof adminClient>;
let s: Scenario;
let poller: RunningStreamPoller;
let relay: typeof import('../../lambdas/services/partner-relay.ts');
let relayDeps: () => import('../../lambdas/services/partner-relay.ts').RelayDeps;

beforeAll(async () => {
  const port = await freePort();
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      if (!up) {
        res.writeHead(503).end();
        return;
      }
      const partner = (req.url ?? '').split('/').at(-1) as keyof typeof SECRETS;
      const verified = verifyWebhook(body, req.headers['sendwell-signature'] as string | undefined, SECRETS[partner], Date.now() / 1000);
      received.push({ partner, event: JSON.parse(body) as PartnerEvent, verified });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => receiver.listen({ host: '127.0.0.1', port }, () => r()));
  process.env[ENV.partners] = JSON.stringify([
    { id: 'crm', url: `http://127.0.0.1:${port}/hook/crm`, secret: SECRETS.crm },
    { id: 'ads', url: `http://127.0.0.1:${port}/hook/ads`, secret: SECRETS.ads, includeAddress: true },
  ]);

  gw = await startTestGateway();
  api = adminClient(gw);
  s = await marketingScenario(api, 'relay');
  relay = await import('../../lambdas/services/partner-relay.ts');
  const stream = await import('../../lambdas/handlers/relay-ledger-stream.ts');
  relayDeps = () => ({ ...stream.relayDeps(), backoffMs: [20, 50] });
  poller = startStreamPoller({
    endpoint: inject('sendwell').dynamodbEndpoint,
    tableName: localTableName(TABLES.ledger, inject('sendwell').tablePrefix),
    handler: stream.makeHandler(relayDeps),
    startAt: 'LATEST',
    intervalMs: 100,
    onError: (e) => pollErrors.push(String(e)),
  });
  await poller.drain();
}, 60_000);
afterAll(async () => {
  if (pollErrors.length) console.error('stream poll errors', [...new Set(pollErrors)]);
  await poller?.stop();
  await gw?.stop();
  receiver?.close();
});

const eventsFor = (recipientId: string, partner: string) => received.filter((r) => r.partner === partner && r.event.recipientId === recipientId);

describe('partner relay', () => {
  it('delivers a signed event to every partner for each consent, unsubscribe, do-not-sell and erasure change', async () => {
    const r = await s.recipient('relay');
    await api.put(`/v1/recipients/${r.id}/consents/${s.topic}`, { status: 'opted_out' });
    await poller.drain();
    await api.put(`/v1/recipients/${r.id}/preferences`, { doNotSell: true, unsubscribedAll: true });
    await poller.drain();
    await api.del(`/v1/recipients/${r.id}`);
    await poller.drain();

    for (const partner of ['crm', 'ads']) {
      const events = eventsFor(r.id, partner);
      expect(events.map((e) => [e.event.type, e.event.to])).toEqual([
        ['consent.changed', 'opted_in'],
        ['consent.changed', 'opted_out'],
        ['marketing.unsubscribed_all', 'true'],
        ['sharing.changed', 'true'],
        ['recipient.erased', 'erased'],
      ]);
      expect(events.every((e) => e.verified)).toBe(true);
      expect(new Set(events.map((e) => e.event.id)).size).toBe(events.length);
    }
    // Addresses only to the partner configured for them, only while the person's data may be shared (and with the
    // opt-out of sharing itself, so the partner can act on it), never once the person is erased.
    expect(eventsFor(r.id, 'crm').some((e) => e.event.email)).toBe(false);
    expect(eventsFor(r.id, 'ads').map((e) => [e.event.type, e.event.email])).toEqual([
      ['consent.changed', r.email],
      ['consent.changed', r.email],
      // An opt-out carries whom it is about even after "do not sell": the partner must be able to act on it.
      ['marketing.unsubscribed_all', r.email],
      ['sharing.changed', r.email],
      ['recipient.erased', undefined],
    ]);
  });

  it('shares no address of someone in a region where sharing needs an opt-in they did not give', async () => {
    const r = await s.recipient('relay-eu', 'DE');
    await poller.drain();
    await api.put(`/v1/recipients/${r.id}/consents/${s.topic}`, { status: 'opted_out' });
    await poller.drain();
    const events = eventsFor(r.id, 'ads');
    // The opt-in (pending: the region needs confirmation) is not shared; the opt-out says whom it is about, so the
    // partner can act on it.
    expect(events.map((e) => [e.event.type, e.event.to, e.event.email])).toEqual([
      ['consent.changed', 'pending', undefined],
      ['consent.changed', 'opted_out', r.email],
    ]);
    // Opting in to sharing (doNotSell: false) lets the partner configured for addresses have it.
    await api.put(`/v1/recipients/${r.id}/preferences`, { doNotSell: false });
    await api.put(`/v1/recipients/${r.id}/consents/${s.topic}`, { status: 'opted_in', source: 'signup_form' });
    await poller.drain();
    expect(eventsFor(r.id, 'ads').slice(2).map((e) => [e.event.type, e.event.email])).toEqual([
      ['sharing.changed', r.email],
      ['consent.changed', r.email],
    ]);
  });

  it('keeps what a partner missed while it was down, and replays it in order once it is back', async () => {
    const r = await s.recipient('relay-down');
    await poller.drain();
    up = false;
    await api.put(`/v1/recipients/${r.id}/consents/${s.topic}`, { status: 'opted_out' });
    await api.put(`/v1/recipients/${r.id}/preferences`, { doNotSell: true });
    await poller.drain();
    expect(eventsFor(r.id, 'crm').map((e) => e.event.type)).toEqual(['consent.changed']); // only the opt-in, before the outage

    up = true;
    const result = await relay.replayFailures(relayDeps());
    expect(result.waiting).toBe(0);
    expect(result.delivered).toBeGreaterThanOrEqual(4);
    for (const partner of ['crm', 'ads']) {
      expect(eventsFor(r.id, partner).map((e) => [e.event.type, e.event.to])).toEqual([
        ['consent.changed', 'opted_in'],
        ['consent.changed', 'opted_out'],
        ['sharing.changed', 'true'],
      ]);
      expect(eventsFor(r.id, partner).every((e) => e.verified)).toBe(true);
    }
    // Nothing of this recipient is left waiting (other test files write to the same ledger meanwhile).
    const kept = await Promise.all(['crm', 'ads'].map((p) => relayDeps().failures.failures(p)));
    expect(kept.flat().filter((f) => f.body.includes(r.id))).toEqual([]);
  }, 60_000);

  it('an erasure while a partner is down takes the address out of what waits for it; the events still go, in order', async () => {
    const r = await s.recipient('relay-erase-down');
    await poller.drain();
    up = false;
    try {
      await api.put(`/v1/recipients/${r.id}/consents/${s.topic}`, { status: 'opted_out' });
      await poller.drain();
      const waiting = async () => (await relayDeps().failures.failures('ads')).filter((f) => f.body.includes(r.id));
      expect((await waiting()).some((f) => f.body.includes(r.email))).toBe(true);
      await api.del(`/v1/recipients/${r.id}`);
      await poller.drain();
      // Sendwell keeps nothing of the address for the partner once the person is erased.
      const left = await waiting();
      expect(left.map((f) => JSON.parse(f.body).type)).toEqual(['consent.changed', 'recipient.erased']);
      expect(left.some((f) => f.body.includes(r.email))).toBe(false);
    } finally {
      up = true;
    }
    await relay.replayFailures(relayDeps());
    expect(eventsFor(r.id, 'ads').map((e) => [e.event.type, e.event.to, e.event.email])).toEqual([
      ['consent.changed', 'opted_in', r.email],
      ['consent.changed', 'opted_out', undefined],
      ['recipient.erased', 'erased', undefined],
    ]);
  }, 60_000);
});
