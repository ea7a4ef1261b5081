/**
 * Journeys end to end, against DynamoDB Local and the local SES, with the real handlers: a journey is checked in full
 * when saved; an event enrols a recipient once even when posted twice; a wait then a send mails exactly once (the
 * scheduled sweep driven with a moved clock, run twice at once); a branch on `clicked` takes the right arm and a
 * scanner's click does not count; unsubscribing while waiting holds the marketing step while the service step still
 * goes; an `exitOn` event ends the journey; `reentry: afterExit` enrols again once a run ended; a welcome journey
 * sends the sign-up welcome mail once, instead of the direct one.
 *
 * Journeys trigger on every new recipient and the tests move the handlers' clock, so this file runs on tables of
 * its own.
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { documentClient } from '../../../lambdas/adapters/clients.ts';
import { config } from '../../../lambdas/adapters/config.ts';
import { container } from '../../../lambdas/adapters/container.ts';
import { runDueJourneys } from '../../../lambdas/services/journeys.ts';
import { releaseDueMessages } from '../../../lambdas/services/due-messages.ts';
import { asFunction } from '../../../local/table-access-guard.ts';
import { ENV } from '../../../lambdas/wiring/env-keys.ts';
import { hrefs, mailTo, uniqueAddress } from '../../support/mailbox.ts';
import { ownTables } from '../../support/own-tables.ts';
import { pathOf } from '../../support/scenario.ts';
import { useGateway } from '../../support/suite.ts';

const createOwnTables = ownTables('journeys');
const suite = useGateway();

const iphone = 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148';
const scanner = 'Mozilla/5.0 (compatible; Mimecast)';
const run = Date.now().toString(36);
const topic = `jt-${run}`;
const offer = `offer-${run}`;
const thanks = `thanks-${run}`;
const nudge = `nudge-${run}`;

beforeAll(async () => {
  await createOwnTables();
  const api = suite.api;
  expect((await api.post('/v1/topics', { id: topic, name: 'Journey offers' })).status).toBe(201);
  expect(
    (
      await api.post('/v1/templates', {
        id: offer,
        class: 'marketing',
        topic,
        subject: `Offer ${run}`,
        html: '<p>Hello {{first}}</p><p><a href="https://shop.example/deal">See the deal</a></p><p><a href="{{unsubscribe_url}}">Unsubscribe</a> {{postal_address}}</p>',
        text: 'Hello\nhttps://shop.example/deal\nUnsubscribe: {{unsubscribe_url}}\n{{postal_address}}',
      })
    ).status,
  ).toBe(201);
  for (const [id, subject] of [
    [thanks, `Thanks ${run}`],
    [nudge, `Nudge ${run}`],
  ]) {
    expect((await api.post('/v1/templates', { id, class: 'service', subject, html: '<p>Note</p><a href="{{preferences_url}}">Preferences</a>', text: 'Note {{preferences_url}}' })).status).toBe(201);
  }
}, 60_000);

afterEach(() => {
  delete process.env[ENV.clockOffsetMs];
});

const later = (ms: number) => {
  process.env[ENV.clockOffsetMs] = String(ms);
};

async function person(label: string, optedIn = true): Promise<{ id: string; email: string }> {
  const email = uniqueAddress(label);
  const r = await suite.api.post('/v1/recipients', { email, country: 'US', welcome: false });
  expect(r.status).toBe(201);
  if (optedIn) expect((await suite.api.put(`/v1/recipients/${r.body.id}/consents/${topic}`, { status: 'opted_in', source: 'signup_form' })).status).toBe(200);
  return { id: r.body.id, email };
}

async function activeJourney(body: Record<string, unknown>): Promise<string> {
  const id = `${String(body.id)}-${Math.random().toString(36).slice(2, 6)}`;
  const created = await suite.api.post('/v1/journeys', { ...body, id });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  expect(created.body.status).toBe('draft');
  const active = await suite.api.post(`/v1/journeys/${id}/activate`);
  expect(active.status, JSON.stringify(active.body)).toBe(200);
  expect(active.body.status).toBe('active');
  return id;
}

const figures = async (id: string) => {
  const r = await suite.api.get(`/v1/journeys/${id}`);
  expect(r.status).toBe(200);
  return r.body.figures;
};
const subjects = async (email: string) => (await mailTo(email)).map((m) => m.subject);

describe('journey definitions', () => {
  it('are checked in full at create: unknown steps, templates and topics, loops without a wait, an exit reason named twice, each a 400 naming the field', async () => {
    const api = suite.api;
    const base = { id: `bad-${run}`, name: 'Bad', trigger: { event: 'signed-up' } };
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ steps: [{ id: 'a', send: { template: thanks }, next: 'nowhere' }] }, 'body.steps.0.next'],
      [{ steps: [{ id: 'a', send: { template: 'no-such-template' } }] }, 'body.steps.0.send.template'],
      [{ trigger: { optedIn: 'no-such-topic' }, steps: [{ id: 'a', send: { template: thanks } }] }, 'body.trigger.optedIn'],
      [{ steps: [{ id: 'a', send: { template: thanks } }, { id: 'b', branch: { if: { clicked: 'a' }, then: 'a', else: 'end' } }] }, 'body.steps.1.branch.then'],
      [{ steps: [{ id: 'a', wait: { seconds: 60 } }, { id: 'b', branch: { if: { opened: 'a' }, then: 'end', else: 'end' } }] }, 'body.steps.1.branch.if.opened'],
      [{ steps: [{ id: 'a', send: { template: thanks } }, { id: 'a', send: { template: nudge } }] }, 'body.steps.1.id'],
      [{ steps: [{ id: 'a', wait: { untilLocalTime: '25:00' } }] }, 'body.steps.0.wait'],
      [{ steps: [{ id: 'a', send: { template: thanks }, wait: { seconds: 5 } }] }, 'body.steps.0'],
      [{ steps: [{ id: 'a', send: { template: thanks } }], exitOn: ['unsubscribed', 'bought', 'bought'] }, 'body.exitOn.2'],
      // A typo deep in a branch's segment rule names the field, not the whole condition ("Invalid input" at the union).
      [{ steps: [{ id: 'b', branch: { if: { all: [{ field: 'country', op: 'equals', value: 'DE' }] }, then: 'end', else: 'end' } }] }, 'body.steps.0.branch.if.all.0.op'],
    ];
    for (const [patch, path] of cases) {
      const r = await api.post('/v1/journeys', { ...base, ...patch });
      expect(r.status, JSON.stringify(patch)).toBe(400);
      expect(r.body.error.code).toBe('validation_failed');
      // Schema problems name `body.<field>`; the service's checks (graph, templates, topics) name the field itself.
      const named = r.body.error.details.map((d: { path: string }) => `body.${String(d.path).replace(/^body\./, '')}`);
      expect(named.some((p: string) => p === path || p.startsWith(`${path}.`)), `${path} in ${JSON.stringify(r.body.error.details)}`).toBe(true);
    }
    // A loop through a wait is fine.
    const ok = await api.post('/v1/journeys', { ...base, steps: [{ id: 'a', send: { template: thanks } }, { id: 'w', wait: { seconds: 86_400 }, next: 'a' }] });
    expect(ok.status, JSON.stringify(ok.body)).toBe(201);
    expect(ok.body).toMatchObject({ status: 'draft', exitOn: ['unsubscribed'], reentry: 'never' });
    expect((await api.post('/v1/journeys', { ...base, steps: [{ id: 'a', send: { template: thanks } }] })).status).toBe(409);
    // Listed, a page at a time.
    const page = await api.get('/v1/journeys?limit=1');
    expect(page.status).toBe(200);
    expect(page.body.journeys).toHaveLength(1);
    expect((await api.get('/v1/journeys?cursor=garbage')).status).toBe(400);
    // A cursor of the right shape whose key DynamoDB would refuse (an empty index key) is a 400 too, never a 500.
    const forged = (k: Record<string, string>) => Buffer.from(JSON.stringify({ v: 1, l: 'journeys', k })).toString('base64url');
    for (const k of [{ pk: 'JOURNEY#', sk: 'JOURNEY', gsi1pk: 'JOURNEYS', gsi1sk: '' }, { pk: 'JOURNEY#x', sk: 'JOURNEY', gsi1pk: 'JOURNEYS', gsi1sk: 'X Y' }]) {
      const r = await api.get(`/v1/journeys?cursor=${forged(k)}`);
      expect(r.status, JSON.stringify(r.body)).toBe(400);
      expect(r.body.error.details[0].path).toBe('query.cursor');
    }
    // A draft can be changed; pausing a draft is a conflict; events are for services only.
    expect((await api.put(`/v1/journeys/${base.id}`, { name: 'Renamed', trigger: base.trigger, steps: [{ id: 'a', send: { template: thanks } }] })).body.name).toBe('Renamed');
    expect((await api.post(`/v1/journeys/${base.id}/pause`)).status).toBe(409);
    // Archived is for good: a change is a 409 that does not tell the caller to pause it (pausing it is a 409 too).
    expect((await api.post(`/v1/journeys/${base.id}/archive`)).body.status).toBe('archived');
    const archivedPut = await api.put(`/v1/journeys/${base.id}`, { name: 'Again', trigger: base.trigger, steps: [{ id: 'a', send: { template: thanks } }] });
    expect(archivedPut.status).toBe(409);
    expect(archivedPut.body.error.message).not.toMatch(/pause/);
    expect((await suite.as('marketing').post('/v1/events', { recipientId: 'rcp_x', name: 'x' })).status).toBe(403);
    expect((await api.post('/v1/events', { recipientId: 'rcp_nobody', name: 'signed-up' })).status).toBe(404);
  });
});

describe('events', () => {
  it('enrol a recipient once even when posted twice, with an idempotency key or without one', async () => {
    const id = await activeJourney({ id: 'once', name: 'Once', trigger: { event: `ordered-${run}` }, steps: [{ id: 'thank', send: { template: thanks } }] });
    const p = await person('once');
    const first = await suite.api.post('/v1/events', { recipientId: p.id, name: `ordered-${run}`, idempotencyKey: `order-1-${run}` });
    expect(first.status).toBe(202);
    expect(first.body.enrolled).toEqual([id]);
    const again = await suite.api.post('/v1/events', { recipientId: p.id, name: `ordered-${run}`, idempotencyKey: `order-1-${run}` });
    expect(again.status).toBe(202);
    expect(again.body).toMatchObject({ id: first.body.id, enrolled: [], duplicate: true });
    // The same key for another event is a conflict; no key and the same event twice still enrols once (reentry never).
    expect((await suite.api.post('/v1/events', { recipientId: p.id, name: `ordered-${run}`, idempotencyKey: `order-1-${run}`, properties: { n: 2 } })).status).toBe(409);
    const [a, b] = await Promise.all([1, 2].map(() => suite.api.post('/v1/events', { email: p.email.toUpperCase(), name: `ordered-${run}` })));
    expect([a!.body.enrolled, b!.body.enrolled]).toEqual([[], []]);
    expect(await subjects(p.email)).toEqual([`Thanks ${run}`]);
    const f = await figures(id);
    expect(f).toMatchObject({ enrolled: 1, completed: 1 });
    expect(f.steps.thank).toMatchObject({ entered: 1, sent: 1, waiting: 0 });
  });
});

describe('waits', () => {
  it('a wait then a send mails exactly once, when the sweep finds it due, even with two sweeps at once', async () => {
    const id = await activeJourney({ id: 'wait', name: 'Wait', trigger: { event: `joined-${run}` }, steps: [{ id: 'pause', wait: { seconds: 600 } }, { id: 'hello', send: { template: thanks } }] });
    const p = await person('wait');
    expect((await suite.api.post('/v1/events', { recipientId: p.id, name: `joined-${run}` })).body.enrolled).toEqual([id]);
    expect((await figures(id)).steps.pause).toMatchObject({ entered: 1, waiting: 1 });
    await runDueJourneys(container());
    expect(await subjects(p.email)).toEqual([]);
    later(601_000);
    await Promise.all([runDueJourneys(container()), runDueJourneys(container())]);
    await runDueJourneys(container());
    expect(await subjects(p.email)).toEqual([`Thanks ${run}`]);
    const f = await figures(id);
    expect(f.steps.pause).toMatchObject({ entered: 1, waiting: 0 });
    expect(f.steps.hello).toMatchObject({ entered: 1, sent: 1 });
    expect(f.completed).toBe(1);
  });

  it('someone waiting at a step an edit turned into a send gets that send when their wait ends', async () => {
    const id = await activeJourney({ id: 'rekind', name: 'Rekind', trigger: { event: `rekind-${run}` }, steps: [{ id: 'x', wait: { seconds: 600 } }, { id: 'bye', send: { template: thanks } }] });
    const p = await person('rekind');
    expect((await suite.api.post('/v1/events', { recipientId: p.id, name: `rekind-${run}` })).body.enrolled).toEqual([id]);
    expect((await suite.api.post(`/v1/journeys/${id}/pause`)).status).toBe(200);
    const edited = await suite.api.put(`/v1/journeys/${id}`, { name: 'Rekind', trigger: { event: `rekind-${run}` }, steps: [{ id: 'x', send: { template: nudge } }, { id: 'bye', send: { template: thanks } }] });
    expect(edited.status, JSON.stringify(edited.body)).toBe(200);
    expect((await suite.api.post(`/v1/journeys/${id}/activate`)).status).toBe(200);
    later(601_000);
    await runDueJourneys(container());
    expect((await subjects(p.email)).sort()).toEqual([`Nudge ${run}`, `Thanks ${run}`]);
    const f = await figures(id);
    expect(f.steps.x).toMatchObject({ entered: 1, waiting: 0, sent: 1 });
    expect(f.completed).toBe(1);
  });

  it('untilLocalTime waits for the recipient’s own clock', async () => {
    const id = await activeJourney({ id: 'nine', name: 'Nine', trigger: { event: `nine-${run}` }, steps: [{ id: 'nine', wait: { untilLocalTime: '09:00' } }, { id: 'hello', send: { template: thanks } }] });
    const email = uniqueAddress('nine');
    const r = await suite.api.post('/v1/recipients', { email, country: 'US', timeZone: 'Pacific/Kiritimati', welcome: false });
    await suite.api.post('/v1/events', { recipientId: r.body.id, name: `nine-${run}` });
    const enrolment = await container().journeys.getEnrolment(r.body.id, id);
    expect(enrolment).toMatchObject({ status: 'waiting', step: 'nine' });
    const due = new Date(enrolment!.due!);
    // 09:00 in Kiritimati (UTC+14) is 19:00 UTC, within the next day.
    expect(due.getUTCHours()).toBe(19);
    expect(due.getUTCMinutes()).toBe(0);
    expect(due.getTime() - Date.now()).toBeGreaterThan(0);
    expect(due.getTime() - Date.now()).toBeLessThanOrEqual(86_400_000);
  });
});

describe('branches', () => {
  it('a branch on clicked takes the right arm; a scanner’s click does not count', async () => {
    const id = await activeJourney({
      id: 'clicked',
      name: 'Clicked',
      trigger: { event: `browsed-${run}` },
      steps: [
        { id: 'offer', send: { template: offer } },
        { id: 'pause', wait: { seconds: 3_600 } },
        { id: 'check', branch: { if: { clicked: 'offer' }, then: 'thanks', else: 'nudge' } },
        { id: 'thanks', send: { template: thanks }, next: 'end' },
        { id: 'nudge', send: { template: nudge } },
      ],
    });
    const human = await person('clicker');
    const machine = await person('scanned');
    for (const p of [human, machine]) expect((await suite.api.post('/v1/events', { recipientId: p.id, name: `browsed-${run}`, properties: { first: 'Ann' } })).body.enrolled).toEqual([id]);
    const link = async (email: string) => {
      const mail = (await mailTo(email)).find((m) => m.subject === `Offer ${run}`)!;
      expect(mail.body.text).toBeDefined();
      return pathOf(hrefs(mail.body.html ?? '').find((l) => l.includes('/c/'))!);
    };
    // A link scanner follows both mails' links at once; an hour later only one person clicks.
    for (const p of [human, machine]) expect((await suite.gw.call(await link(p.email), { headers: { 'user-agent': scanner }, redirect: 'manual' })).status).toBe(302);
    later(3_601_000);
    expect((await suite.gw.call(await link(human.email), { headers: { 'user-agent': iphone }, redirect: 'manual' })).status).toBe(302);
    await runDueJourneys(container());
    expect(await subjects(human.email)).toEqual([`Offer ${run}`, `Thanks ${run}`]);
    expect(await subjects(machine.email)).toEqual([`Offer ${run}`, `Nudge ${run}`]);
    const f = await figures(id);
    expect(f.steps.thanks).toMatchObject({ entered: 1, sent: 1 });
    expect(f.steps.nudge).toMatchObject({ entered: 1, sent: 1 });
    expect(f.completed).toBe(2);
  });
});

describe('the send rule at each step', () => {
  it('unsubscribing while waiting holds the marketing step; the service step still goes', async () => {
    const id = await activeJourney({
      id: 'unsub',
      name: 'Unsub',
      trigger: { event: `trial-${run}` },
      exitOn: [],
      steps: [{ id: 'pause', wait: { seconds: 600 } }, { id: 'promo', send: { template: offer } }, { id: 'receipt', send: { template: thanks } }],
    });
    const p = await person('unsub');
    await suite.api.post('/v1/events', { recipientId: p.id, name: `trial-${run}` });
    expect((await suite.api.put(`/v1/recipients/${p.id}/consents/${topic}`, { status: 'opted_out', source: 'api' })).status).toBe(200);
    later(601_000);
    await runDueJourneys(container());
    expect(await subjects(p.email)).toEqual([`Thanks ${run}`]);
    const f = await figures(id);
    expect(f.steps.promo).toMatchObject({ entered: 1, sent: 0, held: { opted_out: 1 } });
    expect(f.steps.receipt).toMatchObject({ sent: 1 });
  });

  it('with exitOn unsubscribed (the default), someone who unsubscribed leaves before the next send', async () => {
    const id = await activeJourney({ id: 'leave', name: 'Leave', trigger: { event: `leave-${run}` }, steps: [{ id: 'pause', wait: { seconds: 600 } }, { id: 'receipt', send: { template: thanks } }] });
    const p = await person('leave');
    await suite.api.post('/v1/events', { recipientId: p.id, name: `leave-${run}` });
    expect((await suite.api.put(`/v1/recipients/${p.id}/preferences`, { unsubscribedAll: true })).status).toBe(200);
    later(601_000);
    await runDueJourneys(container());
    expect(await subjects(p.email)).toEqual([]);
    expect((await figures(id)).steps.receipt).toMatchObject({ entered: 1, exited: 1, sent: 0 });
  });
});

describe('exits and re-entry', () => {
  it('an exitOn event ends the journey: the waiting step never sends', async () => {
    const id = await activeJourney({
      id: 'cart',
      name: 'Cart',
      trigger: { event: `cart-${run}` },
      exitOn: ['unsubscribed', `bought-${run}`],
      steps: [{ id: 'pause', wait: { seconds: 600 } }, { id: 'remind', send: { template: nudge } }],
    });
    const p = await person('cart');
    await suite.api.post('/v1/events', { recipientId: p.id, name: `cart-${run}` });
    const bought = await suite.api.post('/v1/events', { recipientId: p.id, name: `bought-${run}` });
    expect(bought.body).toMatchObject({ enrolled: [], exited: [id] });
    later(601_000);
    await runDueJourneys(container());
    expect(await subjects(p.email)).toEqual([]);
    const f = await figures(id);
    expect(f.exited).toBe(1);
    expect(f.steps.pause).toMatchObject({ waiting: 0, exited: 1 });
  });

  it('a step quiet hours deferred is not sent to someone who left the journey meanwhile (held: journey_left)', async () => {
    const hhmm = (ms: number) => new Date(Date.now() + ms).toISOString().slice(11, 16);
    expect((await suite.api.put('/v1/settings/delivery', { quietHours: { start: hhmm(-3_600_000), end: hhmm(3_600_000) } })).status).toBe(200);
    try {
      const id = await activeJourney({
        id: 'qcart',
        name: 'Cart at night',
        trigger: { event: `qcart-${run}` },
        exitOn: ['unsubscribed', `qbought-${run}`],
        steps: [{ id: 'remind', send: { template: offer } }, { id: 'pause', wait: { seconds: 86_400 } }, { id: 'again', send: { template: nudge } }],
      });
      const [gone, stays] = [await person('qcart-gone'), await person('qcart-stays')];
      for (const p of [gone, stays]) {
        expect((await suite.api.patch(`/v1/recipients/${p.id}`, { timeZone: 'Etc/UTC' })).status).toBe(200);
        await suite.api.post('/v1/events', { recipientId: p.id, name: `qcart-${run}` });
      }
      const deps = container();
      const messageOf = async (p: { id: string }) => (await deps.journeys.getEnrolment(p.id, id))!.sent!.remind!;
      expect((await suite.api.get(`/v1/messages/${await messageOf(gone)}`)).body.status).toBe('deferred');
      expect((await suite.api.post('/v1/events', { recipientId: gone.id, name: `qbought-${run}` })).body).toMatchObject({ exited: [id] });
      // Morning: the sweep of due messages, as its function (the grants guard checks what it reads).
      later(2 * 3_600_000);
      await asFunction('sendDueMessages', releaseDueMessages)(deps);
      expect((await suite.api.get(`/v1/messages/${await messageOf(gone)}`)).body).toMatchObject({ status: 'held', reason: 'journey_left' });
      expect(await subjects(gone.email)).toEqual([]);
      expect((await suite.api.get(`/v1/messages/${await messageOf(stays)}`)).body.status).toBe('sent');
      expect(await subjects(stays.email)).toEqual([`Offer ${run}`]);
    } finally {
      expect((await suite.api.put('/v1/settings/delivery', { quietHours: null })).status).toBe(200);
    }
  });

  it('what follows a step quiet hours deferred starts when its mail goes out: a branch on its opens is judged after it', async () => {
    const hhmm = (ms: number) => new Date(Date.now() + ms).toISOString().slice(11, 16);
    expect((await suite.api.put('/v1/settings/delivery', { quietHours: { start: hhmm(-3_600_000), end: hhmm(3_600_000) } })).status).toBe(200);
    try {
      const id = await activeJourney({
        id: 'qopen',
        name: 'Opened at night',
        trigger: { event: `qopen-${run}` },
        steps: [
          { id: 'remind', send: { template: offer } },
          { id: 'pause', wait: { seconds: 1_800 } },
          { id: 'check', branch: { if: { opened: 'remind' }, then: 'thanks', else: 'nudge' } },
          { id: 'thanks', send: { template: thanks }, next: 'end' },
          { id: 'nudge', send: { template: nudge } },
        ],
      });
      const p = await person('qopen');
      expect((await suite.api.patch(`/v1/recipients/${p.id}`, { timeZone: 'Etc/UTC' })).status).toBe(200);
      expect((await suite.api.post('/v1/events', { recipientId: p.id, name: `qopen-${run}` })).body.enrolled).toEqual([id]);
      const deps = container();
      const remind = (await deps.journeys.getEnrolment(p.id, id))!.sent!.remind!;
      expect((await suite.api.get(`/v1/messages/${remind}`)).body.status).toBe('deferred');
      // Half an hour after the event the wait would be over, counted from the deferral: nothing may be judged yet.
      later(45 * 60_000);
      await runDueJourneys(deps);
      expect(await subjects(p.email)).toEqual([]);
      // Morning: the offer goes out and is opened.
      later(61 * 60_000);
      await asFunction('sendDueMessages', releaseDueMessages)(deps);
      expect(await subjects(p.email)).toEqual([`Offer ${run}`]);
      // Opened a couple of minutes later (an open within seconds of the send is a machine's prefetch).
      later(63 * 60_000);
      const mail = (await mailTo(p.email)).find((m) => m.subject === `Offer ${run}`)!;
      const pixel = /src="([^"]*\/o\/[^"]*)"/.exec(mail.body.html ?? '')![1]!;
      expect((await suite.gw.call(pathOf(pixel), { headers: { 'user-agent': iphone } })).status).toBe(200);
      expect((await suite.api.get(`/v1/messages/${remind}`)).body).toMatchObject({ humanOpens: 1 });
      // The wait starts once the mail is out, and the branch after it sees the open.
      await runDueJourneys(deps);
      expect((await deps.journeys.getEnrolment(p.id, id))).toMatchObject({ step: 'pause', status: 'waiting' });
      later(95 * 60_000);
      await runDueJourneys(deps);
      expect(await subjects(p.email)).toEqual([`Offer ${run}`, `Thanks ${run}`]);
      expect((await figures(id)).steps.remind).toMatchObject({ deferred: 1 });
    } finally {
      expect((await suite.api.put('/v1/settings/delivery', { quietHours: null })).status).toBe(200);
    }
  });

  it('reentry afterExit enrols again once the run ended; never does not', async () => {
    const again = await activeJourney({ id: 'again', name: 'Again', trigger: { event: `visit-${run}` }, reentry: 'afterExit', steps: [{ id: 'hi', send: { template: thanks } }] });
    const once = await activeJourney({ id: 'onlyonce', name: 'Only once', trigger: { event: `visit-${run}` }, steps: [{ id: 'hi', send: { template: nudge } }] });
    const p = await person('again');
    expect((await suite.api.post('/v1/events', { recipientId: p.id, name: `visit-${run}` })).body.enrolled.sort()).toEqual([again, once].sort());
    expect((await suite.api.post('/v1/events', { recipientId: p.id, name: `visit-${run}` })).body.enrolled).toEqual([again]);
    expect((await subjects(p.email)).sort()).toEqual([`Nudge ${run}`, `Thanks ${run}`, `Thanks ${run}`]);
    expect((await figures(again)).enrolled).toBe(2);
  });

  it('one event posted several times under its idempotency key enrols once, even where re-entry is allowed', async () => {
    // A run without a wait ends within the request: a concurrent copy of the event would otherwise find it ended and
    // start a second run (a second mail) for the same key.
    const id = await activeJourney({ id: 'keyed', name: 'Keyed', trigger: { event: `paid-${run}` }, reentry: 'afterExit', steps: [{ id: 'hi', send: { template: thanks } }] });
    const p = await person('keyed');
    // Copies a few milliseconds apart: some while the first is still running, some once its run has ended.
    const copies = Array.from({ length: 12 }, (_, i) => i * 15);
    const answers = await Promise.all(copies.map(async (delay) => {
      await new Promise((r) => setTimeout(r, delay));
      return suite.api.post('/v1/events', { recipientId: p.id, name: `paid-${run}`, idempotencyKey: `pay-7-${run}` });
    }));
    expect(answers.map((a) => a.status)).toEqual(copies.map(() => 202));
    expect(answers.flatMap((a) => a.body.enrolled)).toEqual([id]);
    expect(await subjects(p.email)).toEqual([`Thanks ${run}`]);
    expect((await figures(id)).enrolled).toBe(1);

    // The process died after the run, before the event was marked done: the caller's retry under the same key finds
    // that run was this event's and starts no second one.
    const q = await person('keyed-retry');
    const first = await suite.api.post('/v1/events', { recipientId: q.id, name: `paid-${run}`, idempotencyKey: `pay-8-${run}` });
    expect(first.body.enrolled).toEqual([id]);
    await documentClient().send(
      new UpdateCommand({ TableName: config().tables.messages, Key: { pk: `EV#${first.body.id}`, sk: 'EVENT' }, UpdateExpression: 'SET done = :f REMOVE enrolled', ExpressionAttributeValues: { ':f': false } }),
    );
    const retry = await suite.api.post('/v1/events', { recipientId: q.id, name: `paid-${run}`, idempotencyKey: `pay-8-${run}` });
    expect(retry.status).toBe(202);
    expect(await subjects(q.email)).toEqual([`Thanks ${run}`]);
    expect((await figures(id)).enrolled).toBe(2);
  });
});

describe('the optedIn trigger', () => {
  it('an effective opt-in enrols the person; the sweep runs the steps (the consent change may come from a recipient page)', async () => {
    const { body: t } = await suite.api.post('/v1/topics', { id: `jt2-${run}`, name: 'Second topic' });
    const id = await activeJourney({ id: 'optin', name: 'Opt-in', trigger: { optedIn: t.id }, steps: [{ id: 'hi', send: { template: thanks } }] });
    const p = await person('optin', false);
    expect((await suite.api.put(`/v1/recipients/${p.id}/consents/${t.id}`, { status: 'opted_in', source: 'signup_form' })).status).toBe(200);
    expect(await subjects(p.email)).toEqual([]);
    expect((await figures(id)).enrolled).toBe(0);
    await runDueJourneys(container());
    expect(await subjects(p.email)).toEqual([`Thanks ${run}`]);
    expect(await figures(id)).toMatchObject({ enrolled: 1, completed: 1 });
    // Opting out and in again does not enrol them a second time (reentry never).
    await suite.api.put(`/v1/recipients/${p.id}/consents/${t.id}`, { status: 'opted_out', source: 'api' });
    await suite.api.put(`/v1/recipients/${p.id}/consents/${t.id}`, { status: 'opted_in', source: 'signup_form' });
    await runDueJourneys(container());
    expect(await subjects(p.email)).toEqual([`Thanks ${run}`]);
  });
});

describe('the optedIn trigger from a recipient page', () => {
  it('a journey just activated through the admin API starts for an opt-in on the preference page (its own container shares the journey list)', async () => {
    const { signToken } = await import('../../../lambdas/domain/tokens.ts');
    const keys = await container().keys();
    const p = await person('page-optin', false);
    const path = `/p/${signToken({ purpose: 'preferences', recipientId: p.id, issuedAt: Math.floor(Date.now() / 1000) }, keys.tokens)}`;
    const optIn = (topicId: string) =>
      suite.gw.call(path, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ form: 'preferences', [`topic:${topicId}`]: 'on' }).toString() });
    // The page reads the journey list once (an opt-in to the first topic), then a journey for a second one goes live.
    expect((await optIn(topic)).status).toBe(200);
    const { body: t } = await suite.api.post('/v1/topics', { id: `jt3-${run}`, name: 'Third topic' });
    const id = await activeJourney({ id: 'page-optin', name: 'Page opt-in', trigger: { optedIn: t.id }, steps: [{ id: 'hi', send: { template: thanks } }] });
    expect((await optIn(t.id)).status).toBe(200);
    await runDueJourneys(container());
    expect(await subjects(p.email)).toEqual([`Thanks ${run}`]);
    expect(await figures(id)).toMatchObject({ enrolled: 1, completed: 1 });
  });
});

describe('the welcome journey', () => {
  it('sends the sign-up welcome mail as its first step, once, instead of the direct one; not to `welcome: false`; paused, it enrols nobody', async () => {
    const id = await activeJourney({ id: 'welcome', name: 'Welcome', trigger: { recipientCreated: true }, steps: [{ id: 'welcome-mail', send: { template: 'sendwell-welcome' } }] });
    const email = uniqueAddress('welcome');
    expect((await suite.api.post('/v1/recipients', { email, country: 'US' })).status).toBe(201);
    expect(await subjects(email)).toEqual(['Welcome']);
    expect((await figures(id)).steps['welcome-mail']).toMatchObject({ sent: 1 });
    // `welcome: false` asks for no welcome mail: the welcome journey does not take that person either.
    const quiet = uniqueAddress('welcome-no');
    expect((await suite.api.post('/v1/recipients', { email: quiet, country: 'US', welcome: false })).status).toBe(201);
    expect((await figures(id)).enrolled).toBe(1);
    expect((await suite.api.post(`/v1/journeys/${id}/pause`)).body.status).toBe('paused');
    const other = uniqueAddress('welcome2');
    expect((await suite.api.post('/v1/recipients', { email: other, country: 'US' })).status).toBe(201);
    // Paused: the direct welcome mail goes, the journey takes nobody.
    expect(await subjects(other)).toEqual(['Welcome']);
    expect((await figures(id)).enrolled).toBe(1);
    expect((await suite.api.post(`/v1/journeys/${id}/archive`)).body.status).toBe('archived');
  });
});
