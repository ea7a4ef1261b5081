/** `POST /v1/messages`: idempotency, validation, header safety, and a failed SES call that can be retried. */
import { beforeAll, describe, expect, it } from 'vitest';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { config } from '../../../lambdas/adapters/config.ts';
import { container } from '../../../lambdas/adapters/container.ts';
import { SendOnceRetryStrategy } from '../../../lambdas/adapters/send-once.ts';
import { SesMailer } from '../../../lambdas/adapters/ses-mailer.ts';
import { SendwellError } from '../../../lambdas/domain/errors.ts';
import { sendMessage } from '../../../lambdas/services/send.ts';
import { createRecipient } from '../../../lambdas/services/recipients.ts';
import { freePort } from '../../../local/ports.ts';
import { adminClient } from '../../support/admin-client.ts';
import { useGateway } from '../../support/suite.ts';
import { mailTo, uniqueAddress } from '../../support/mailbox.ts';

let api: ReturnType<typeof adminClient>;
const suffix = Date.now().toString(36);
const service = `reset-${suffix}`;

const suite = useGateway();

beforeAll(async () => {
  api = suite.api;
  const t = await api.post('/v1/templates', {
    id: service,
    class: 'service',
    subject: 'Reset for {{name}}',
    html: '<p>Hello {{name}}, reset: <a href="https://app.example/reset?t={{code}}">reset</a></p>',
    text: 'Hello {{name}}, reset: https://app.example/reset?t={{code}}',
  });
  expect(t.status).toBe(201);
});

describe('idempotency', () => {
  it('sends once for the same key, however often the request is retried', async () => {
    const email = uniqueAddress('idem');
    const request = { template: service, to: { email }, data: { name: 'Ann', code: '1' }, idempotencyKey: `reset-${email}` };
    const first = await api.post('/v1/messages', request);
    const results = await Promise.all([1, 2, 3].map(() => api.post('/v1/messages', request)));
    expect(first.body.status).toBe('sent');
    for (const r of results) expect(r.body).toEqual({ messageId: first.body.messageId, status: 'sent', duplicate: true });
    expect(await mailTo(email)).toHaveLength(1);
  });

  it('refuses the same key for a different request', async () => {
    const email = uniqueAddress('idem2');
    const key = `k-${email}`;
    expect((await api.post('/v1/messages', { template: service, to: { email }, data: { name: 'A' }, idempotencyKey: key })).status).toBe(202);
    const reused = await api.post('/v1/messages', { template: service, to: { email }, data: { name: 'B' }, idempotencyKey: key });
    expect(reused.status).toBe(409);
    expect(reused.body.error.details[0].path).toBe('idempotencyKey');
  });
});

describe('validation and header safety', () => {
  it('answers 404 for an unknown template and 400 naming the field for a bad request', async () => {
    expect((await api.post('/v1/messages', { template: `nope-${suffix}`, to: { email: 'a@example.com' } })).status).toBe(404);
    const bad = await api.post('/v1/messages', { template: service, to: { email: 'a@example.com', recipientId: 'rcp_x' } });
    expect(bad.status).toBe(400);
    const badAddress = await api.post('/v1/messages', { template: service, to: { email: 'ann@example.com\nBcc: x@evil.example' } });
    expect(badAddress.status).toBe(400);
    expect(badAddress.body.error.details[0].path).toBe('to.email');
  });

  it('keeps caller data on one line in the subject and escaped in the HTML', async () => {
    const email = uniqueAddress('inject');
    const res = await api.post('/v1/messages', {
      template: service,
      to: { email },
      data: { name: 'Eve\r\nBcc: victim@example.com', code: '"><script>alert(1)</script>' },
    });
    expect(res.body.status).toBe('sent');
    const [mail] = await mailTo(email);
    expect(mail?.subject).not.toMatch(/[\r\n]/);
    expect(mail?.destination.to).toEqual([email]);
    expect(mail?.body.html).not.toContain('<script>');
    expect(mail?.body.html).toContain('&lt;script&gt;');
  });

  it('rejects a marketing template without an unsubscribe link or postal address, naming each problem', async () => {
    await api.post('/v1/topics', { id: `promo-${suffix}`, name: 'Promo', description: '' });
    const res = await api.post('/v1/templates', { id: `promo-mail-${suffix}`, class: 'marketing', topic: `promo-${suffix}`, subject: 'Sale', html: '<p>Sale</p>', text: 'Sale' });
    expect(res.status).toBe(400);
    const paths = res.body.error.details.map((d: { path: string }) => d.path);
    expect(paths).toEqual(expect.arrayContaining(['html', 'text']));
    expect(JSON.stringify(res.body.error.details)).toMatch(/unsubscribe_url/);
    expect(JSON.stringify(res.body.error.details)).toMatch(/postal_address/);
    const subject = await api.post('/v1/templates', { id: `svc-${suffix}`, class: 'service', subject: 'Hi\r\nBcc: x@example.com', html: 'x', text: 'x' });
    expect(subject.status).toBe(400);
    expect(subject.body.error.details[0].path).toBe('subject');
  });
});

describe('when SES does not answer', () => {
  it('records the message as failed with bad_gateway (502), and the retry with the same key sends it once', async () => {
    const deps = container();
    const deadPort = await freePort();
    const unreachable = { ...deps, mailer: new SesMailer(new SESv2Client({ endpoint: `http://127.0.0.1:${deadPort}`, region: 'us-east-1', maxAttempts: 1 })) };
    const email = uniqueAddress('sesdown');
    const request = { template: service, to: { email }, data: { name: 'Bo' }, idempotencyKey: `down-${email}` };

    const failure = await sendMessage(unreachable, request).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(SendwellError);
    expect((failure as SendwellError).code).toBe('bad_gateway');
    const res = await api.post('/v1/messages', request);
    expect(res.body).toMatchObject({ status: 'sent' });
    const record = (await api.get(`/v1/messages/${res.body.messageId}`)).body;
    expect(record.events.map((e: { type: string }) => e.type)).toEqual(['send_failed']);
    expect(await mailTo(email)).toHaveLength(1);
  });

  it('a recipient stored while SES refused the welcome mail gets it when the create is sent again, once', async () => {
    const deps = container();
    const deadPort = await freePort();
    const unreachable = { ...deps, mailer: new SesMailer(new SESv2Client({ endpoint: `http://127.0.0.1:${deadPort}`, region: 'us-east-1', maxAttempts: 1 })) };
    const email = uniqueAddress('welcome-retry');
    const failure = await createRecipient(unreachable, { email, country: 'US', welcome: true }, { source: 'api', actor: 'test' }).catch((e: unknown) => e);
    expect((failure as SendwellError).code).toBe('bad_gateway');
    expect(await mailTo(email)).toHaveLength(0);
    for (let i = 0; i < 2; i++) {
      const again = await api.post('/v1/recipients', { email, country: 'US', welcome: true });
      expect(again.status).toBe(200);
    }
    const mails = await mailTo(email);
    expect(mails).toHaveLength(1);
    // Another recipient created long ago without a welcome is not sent one by a repeated create that asks for it.
    const quiet = uniqueAddress('no-welcome');
    expect((await api.post('/v1/recipients', { email: quiet, country: 'US', welcome: false })).status).toBe(201);
    expect((await api.post('/v1/recipients', { email: quiet, country: 'US', welcome: true })).status).toBe(200);
    expect(await mailTo(quiet)).toHaveLength(0);
  });

  it('when SES took the mail but its answer was lost: 502 saying it may be sent, one mail, and no resend on retry', async () => {
    // A loopback proxy in front of the local SES: it passes the request on, waits for SES's answer, then hangs up.
    const upstream = new URL(config().sesEndpoint!);
    const proxy = createServer((req, res) => {
      const out = httpRequest({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
        answer.resume();
        answer.on('end', () => res.socket?.destroy());
      });
      req.pipe(out);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    try {
      const deps = container();
      const ses = new SESv2Client({ endpoint: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`, region: 'us-east-1', retryStrategy: new SendOnceRetryStrategy(3, 1) });
      const lossy = { ...deps, mailer: new SesMailer(ses) };
      const email = uniqueAddress('lostanswer');
      const request = { template: service, to: { email }, data: { name: 'Cy' }, idempotencyKey: `lost-${email}` };

      const failure = await sendMessage(lossy, request).catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(SendwellError);
      expect((failure as SendwellError).code).toBe('bad_gateway');
      expect((failure as SendwellError).message).toMatch(/may have been sent/);
      expect(await mailTo(email)).toHaveLength(1);
      // The same key again: the message is still claimed (in doubt), so nothing is sent a second time.
      const again = await api.post('/v1/messages', request);
      expect(again.body).toMatchObject({ status: 'sending', duplicate: true });
      expect(await mailTo(email)).toHaveLength(1);
    } finally {
      await new Promise<void>((r) => proxy.close(() => r()));
    }
  });
});
