/**
 * `POST /v1/templates/preview`: a template rendered for a sample recipient, with the problems a save would refuse
 * it for — the very check `POST /v1/templates` runs, so the two never disagree. Nothing is stored.
 */
import { describe, expect, it } from 'vitest';
import { uniqueAddress } from '../../support/mailbox.ts';
import { useGateway } from '../../support/suite.ts';

const suite = useGateway();

const run = Date.now().toString(36);
const topic = `t-prev-${run}`;
const good = {
  class: 'marketing',
  topic,
  subject: 'Hello {{first_name}}',
  html: '<p>Hi {{first_name}}, {{offer}}</p><p><a href="{{unsubscribe_url}}">Unsubscribe</a> · <a href="{{preferences_url}}">Preferences</a> {{postal_address}}</p>',
  text: 'Hi {{first_name}}, {{offer}}\nUnsubscribe: {{unsubscribe_url}}\n{{postal_address}}',
};

describe('template preview', () => {
  it('renders for a stored recipient with the links and postal address filled, and stores nothing', async () => {
    expect((await suite.api.post('/v1/topics', { id: topic, name: 'Preview' })).status).toBe(201);
    const r = await suite.api.post('/v1/recipients', { email: uniqueAddress('prev'), country: 'US', welcome: false, attributes: { first_name: 'Ada' } });
    const answer = await suite.as('marketing').post('/v1/templates/preview', {
      ...good,
      id: `prev-${run}`,
      sample: { recipientId: r.body.id, data: { first_name: 'ignored', offer: '<b>20% off</b>' } },
    });
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    expect(answer.body.problems).toEqual([]);
    expect(answer.body.missing).toEqual([]);
    // The recipient's own attributes win over the sample data, as in a campaign; data is HTML-escaped.
    expect(answer.body.subject).toBe('Hello Ada');
    expect(answer.body.html).toContain('Hi Ada, &lt;b&gt;20% off&lt;/b&gt;');
    expect(answer.body.text).toContain('Hi Ada, <b>20% off</b>');
    expect(answer.body.html).toMatch(/href="http:\/\/127\.0\.0\.1:3000\/u\/preview"/);
    expect(answer.body.html).toMatch(/href="http:\/\/127\.0\.0\.1:3000\/p\/preview"/);
    expect(answer.body.html).toContain('Sendwell Local, 1 Example Street, Springfield');
    expect(answer.body.text).toContain('Unsubscribe: http://127.0.0.1:3000/u/preview');
    expect((await suite.api.get(`/v1/templates/prev-${run}`)).status).toBe(404);
  });

  it('a made-up sample when none is named: variables without a value are listed', async () => {
    const answer = await suite.as('marketing').post('/v1/templates/preview', good);
    expect(answer.status).toBe(200);
    expect(answer.body.subject).toBe('Hello ');
    expect(answer.body.missing).toEqual(['first_name', 'offer']);
  });

  it('lists exactly what a save refuses: the same check', async () => {
    const broken = {
      ...good,
      topic: `no-such-topic-${run}`,
      text: 'Hi, no links here',
    };
    const preview = await suite.as('marketing').post('/v1/templates/preview', { ...broken, id: `broken-${run}` });
    expect(preview.status).toBe(200);
    expect(preview.body.problems).toEqual(
      expect.arrayContaining([
        { field: 'text', message: 'marketing needs {{unsubscribe_url}}' },
        { field: 'text', message: 'marketing needs {{postal_address}}' },
        { field: 'topic', message: expect.stringContaining('no topic') },
      ]),
    );
    const saved = await suite.as('marketing').post('/v1/templates', { ...broken, id: `broken-${run}` });
    expect(saved.status).toBe(400);
    expect(saved.body.error.details.map((d: { path: string; message: string }) => ({ field: d.path, message: d.message }))).toEqual(preview.body.problems);

    // Sendwell's own mails must stay service mail.
    const system = await suite.api.post('/v1/templates/preview', { ...good, id: 'sendwell-welcome' });
    expect(system.body.problems).toEqual([{ field: 'class', message: expect.stringContaining('must be class "service"') }]);
  });

  it('a field the template does not have is refused, naming it, not dropped (a misspelt "txt" or "topics")', async () => {
    const odd = await suite.as('marketing').post('/v1/templates', { ...good, id: `odd-${run}`, topics: good.topic });
    expect(odd.status).toBe(400);
    expect(JSON.stringify(odd.body.error.details)).toContain('topics');
    expect((await suite.api.get(`/v1/templates/odd-${run}`)).status).toBe(404);
  });

  it('an unknown sample recipient is a 404; roles other than marketing are refused', async () => {
    expect((await suite.api.post('/v1/templates/preview', { ...good, sample: { recipientId: 'rcp_nobody' } })).status).toBe(404);
    for (const role of ['ops', 'privacy'] as const) expect((await suite.as(role).post('/v1/templates/preview', good)).status).toBe(403);
  });
});
