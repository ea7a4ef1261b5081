/**
 * SendEmail is never resent when its answer was lost: the real SES v2 client with Sendwell's retry strategy, against a
 * loopback HTTP server that answers, fails, throttles or hangs up as told, counting the requests that reached it.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { answerMayBeLost, SendOnceRetryStrategy } from '../../../lambdas/adapters/send-once.ts';
import { SesMailer } from '../../../lambdas/adapters/ses-mailer.ts';
import { SendOutcomeUnknown } from '../../../lambdas/domain/errors.ts';
import type { ComposedMessage } from '../../../lambdas/domain/compose.ts';

type Answer = 'ok' | 'hang-up' | 'unavailable' | 'throttled' | 'rejected';
let script: Answer[] = [];
let requests = 0;
let server: Server;
let endpoint: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      requests++;
      const answer = script.shift() ?? 'ok';
      if (answer === 'hang-up') return req.socket.destroy();
      if (answer === 'ok') {
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end(JSON.stringify({ MessageId: `m-${requests}` }));
      }
      const [status, type] = answer === 'unavailable' ? [503, 'InternalFailure'] : answer === 'throttled' ? [429, 'TooManyRequestsException'] : [400, 'MessageRejected'];
      res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-errortype': type });
      res.end(JSON.stringify({ message: type }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((r) => server.close(() => r())));

beforeEach(() => {
  requests = 0;
  script = [];
});

const message: ComposedMessage = {
  from: 'news@example.com',
  to: 'someone@example.com',
  subject: 'Hello',
  html: '<p>Hello</p>',
  text: 'Hello',
  headers: [],
  links: [],
  missing: [],
};

const mailer = (url = endpoint) =>
  new SesMailer(
    new SESv2Client({
      region: 'us-east-1',
      endpoint: url,
      credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test' },
      // Fast back-off: the waits are not what is tested.
      retryStrategy: new SendOnceRetryStrategy(3, 1),
    }),
  );

describe('SendOnceRetryStrategy with the SES v2 client', () => {
  it('does not resend a mail whose answer was lost, and says the outcome is unknown', async () => {
    script = ['hang-up', 'ok', 'ok'];
    const error = await mailer().send(message).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SendOutcomeUnknown);
    expect(String((error as Error).message)).toMatch(/may have been sent/);
    expect(requests).toBe(1);
  });

  it('retries what SES answered with a failure or a throttle, up to three tries in all', async () => {
    script = ['unavailable', 'throttled', 'ok'];
    expect(await mailer().send(message)).toBe('m-3');
    expect(requests).toBe(3);

    requests = 0;
    script = ['unavailable', 'unavailable', 'unavailable', 'ok'];
    const error = await mailer().send(message).catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(SendOutcomeUnknown);
    expect((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode).toBe(503);
    expect(requests).toBe(3);
  });

  it('stops retrying once the retry quota is spent, and earns it back with successes', async () => {
    const strategy = new SendOnceRetryStrategy(3, 0);
    const failure = { error: Object.assign(new Error('x'), { $metadata: { httpStatusCode: 503 } }), errorType: 'TRANSIENT' };
    let retries = 0;
    for (let i = 0; i < 200; i++) {
      const first = await strategy.acquireInitialRetryToken('');
      if (await strategy.refreshRetryTokenForRetry(first, failure).then(() => true, () => false)) retries++;
    }
    expect(retries).toBe(100); // 500 units at 5 a retry
    await expect(strategy.refreshRetryTokenForRetry(await strategy.acquireInitialRetryToken(''), failure)).rejects.toThrow();
    for (let i = 0; i < 5; i++) strategy.recordSuccess(await strategy.acquireInitialRetryToken(''));
    await expect(strategy.refreshRetryTokenForRetry(await strategy.acquireInitialRetryToken(''), failure)).resolves.toBeDefined();
  });

  it('does not retry a refusal', async () => {
    script = ['rejected', 'ok'];
    const error = await mailer().send(message).catch((e: unknown) => e);
    expect((error as Error).name).toBe('MessageRejected');
    expect(requests).toBe(1);
  });

  it('retries a refused connection (nothing reached SES) and then reports a plain error, not an unknown outcome', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise<void>((r) => closed.close(() => r()));
    const error = await mailer(url).send(message).catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(SendOutcomeUnknown);
    expect((error as { code?: string }).code).toBe('ECONNREFUSED');
    expect((error as { $metadata?: { attempts?: number } }).$metadata?.attempts).toBe(3);
  });
});

describe('answerMayBeLost', () => {
  it('is false when SES answered or the request never left', () => {
    expect(answerMayBeLost(Object.assign(new Error('x'), { $metadata: { httpStatusCode: 503 } }))).toBe(false);
    expect(answerMayBeLost(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }))).toBe(false);
    expect(answerMayBeLost(Object.assign(new Error('x'), { name: 'CredentialsProviderError' }))).toBe(false);
    expect(answerMayBeLost(undefined)).toBe(false);
  });

  it('is true for a reset, a time-out or anything else without an answer', () => {
    expect(answerMayBeLost(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))).toBe(true);
    expect(answerMayBeLost(Object.assign(new Error('timed out'), { name: 'TimeoutError' }))).toBe(true);
    expect(answerMayBeLost(new Error('something else'))).toBe(true);
  });
});
