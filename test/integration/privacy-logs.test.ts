/**
 * "No raw email addresses or IPs in logs": everything the handlers write during a full run (sign-up, consent with
 * an IP in its evidence, sends, one-click unsubscribe, pixel, click, export, erasure), at DEBUG level, is captured
 * and searched for the addresses and IPs that went through.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

process.env.POWERTOOLS_LOG_LEVEL = 'DEBUG';
const captured: string[] = [];
const writes = { out: process.stdout.write.bind(process.stdout), err: process.stderr.write.bind(process.stderr) };

beforeAll(() => {
  process.stdout.write = ((chunk: unknown, ...rest: unknown[]) => {
    captured.push(String(chunk));
    return (writes.out as (...a: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof process.stdout.write;
  process.stderr.write = ((chunk: unknown, ...rest: unknown[]) => {
    captured.push(String(chunk));
    return (writes.err as (...a: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof process.stderr.write;
});
afterAll(() => {
  process.stdout.write = writes.out;
  process.stderr.write = writes.err;
});

describe('logs of a full run', () => {
  it('hold no raw address and no IP', async () => {
    const { adminClient } = await import('../support/admin-client.ts');
    const { startTestGateway } = await import('../support/gateway.ts');
    const { marketingScenario, pathOf } = await import('../support/scenario.ts');
    const { header, hrefs } = await import('../support/mailbox.ts');
    const { logger } = await import('../../lambdas/adapters/logger.ts');
    const gw = await startTestGateway();
    try {
      const api = adminClient(gw);
      const s = await marketingScenario(api, 'logs');
      const email = `Privacy.Person.${Date.now()}@Example.org`;
      const ip = '192.0.2.147';
      const r = (await api.post('/v1/recipients', { email, country: 'US' })).body;
      await api.put(`/v1/recipients/${r.id}/consents/${s.topic}`, { status: 'opted_in', source: 'signup_form', evidence: { at: '2026-11-22T10:00:00Z', ip, userAgent: 'UA' } });
      await api.post('/v1/messages', { template: s.service, to: { email } });
      await api.post('/v1/messages', { template: s.marketing, to: { email } });
      await api.post('/v1/messages', { template: s.marketing, to: { email: 'not valid@example.org' } });
      const mail = await s.lastMarketingMail(email);
      await gw.call(pathOf(/<img src="([^"]+)"/.exec(mail.body.html ?? '')![1]!), { headers: { 'x-forwarded-for': ip } });
      await gw.call(pathOf(hrefs(mail.body.html ?? '').find((l) => l.includes('/c/'))!), { redirect: 'manual' });
      const oneClick = /<(http[^>]+)>/.exec(header(mail, 'List-Unsubscribe')!)![1]!;
      await gw.call(pathOf(oneClick), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });
      await api.get(`/v1/recipients/${r.id}/export`);
      await api.del(`/v1/recipients/${r.id}`);
      // An error whose message carries personal data goes through the same masking.
      logger.error('delivery failed', { error: new Error(`mailbox ${email} unreachable from ${ip}`), to: email });

      const log = captured.join('');
      expect(log).toContain('message outcome'); // the handlers did log, with the destination…
      expect(log).toContain('***@Example.org'); // …masked to its domain
      expect(log.toLowerCase()).not.toContain(email.toLowerCase().split('@')[0]);
      expect(log).not.toContain(ip);
      expect(log).not.toMatch(/\b(?!127\.)\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b/);
    } finally {
      await gw.stop();
    }
  });
});
