/**
 * Forged tokens at every public route: valid tokens of each purpose, mutated (a character changed, dropped or
 * added, parts swapped between tokens, purposes crossed) and random strings, at least 10,000 per route. Nothing may
 * be accepted, nothing may answer 5xx, and the pixel answers the GIF every time. Deterministic: a seeded generator.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../../bench/fixtures.ts';
import { PIXEL_GIF } from '../../../lambdas/handlers/open-pixel.ts';
import { ROUTES } from '../../../lambdas/wiring/routes.ts';
import { adminClient } from '../../support/admin-client.ts';
import { startTestGateway, type TestGateway } from '../../support/gateway.ts';
import { hrefs, mailTo } from '../../support/mailbox.ts';
import { marketingScenario } from '../../support/scenario.ts';

const PER_ROUTE = 10_000;
const CONCURRENCY = 16;

let gw: TestGateway;
let api: ReturnType<typeof adminClient>;
let valid: string[];
let recipientId: string;
let messageId: string;

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

function forgeries(tokens: readonly string[], count: number, seed: number): string[] {
  const rand = seededRandom(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)] as T;
  const char = () => pick([...B64, '.', '=', '%', '~', '/']);
  const out = new Set<string>();
  const originals = new Set(tokens);
  while (out.size < count) {
    const t = pick(tokens);
    const i = Math.floor(rand() * t.length);
    const [payload = '', sig = ''] = t.split('.');
    const other = pick(tokens).split('.');
    const candidates = [
      t.slice(0, i) + char() + t.slice(i + 1), // change one character
      t.slice(0, i) + t.slice(i + 1), // drop one
      t.slice(0, i) + char() + t.slice(i), // add one
      `${payload}.${other[1] ?? ''}`, // another token's signature
      `${other[0] ?? ''}.${sig}`, // another token's payload
      `${payload}.${sig.split('').reverse().join('')}`,
      `${payload}`,
      `.${sig}`,
      Array.from({ length: 1 + Math.floor(rand() * 200) }, char).join(''),
      Buffer.from(Array.from({ length: 1 + Math.floor(rand() * 64) }, () => Math.floor(rand() * 256))).toString('base64url') + '.' + Buffer.from(Array.from({ length: 16 }, () => Math.floor(rand() * 256))).toString('base64url'),
      `${payload}.${sig}.${sig}`,
      t.toUpperCase(),
    ];
    const forged = pick(candidates);
    if (!originals.has(forged) && forged.length > 0) out.add(forged);
  }
  return [...out];
}

async function pool<T>(items: readonly T[], work: (item: T) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < items.length) await work(items[next++] as T);
    }),
  );
}

beforeAll(async () => {
  gw = await startTestGateway();
  api = adminClient(gw);
  const s = await marketingScenario(api, 'fuzz');
  const r = await s.recipient('fuzz');
  recipientId = r.id;
  messageId = (await s.sendMarketing({ recipientId })).messageId;
  // A pending opt-in on a strict topic gives a confirm token too.
  await api.post('/v1/topics', { id: `${s.topic}-strict`, name: 'Strict', description: '', doubleOptIn: true });
  await api.put(`/v1/recipients/${recipientId}/consents/${s.topic}-strict`, { status: 'opted_in' });
  const mails = await mailTo(r.email);
  const links = mails.flatMap((m) => [...hrefs(m.body.html ?? ''), ...[...(m.body.html ?? '').matchAll(/src="([^"]+)"/g)].map((x) => x[1] ?? '')]);
  valid = [...new Set(links.filter((l) => /\/(u|p|o|c|confirm)\//.test(l)).map((l) => new URL(l).pathname.split('/').at(-1)!.replace(/\.gif$/, '')))];
  expect(valid.length).toBeGreaterThanOrEqual(5);
}, 60_000);
afterAll(async () => {
  await gw?.stop();
});

describe('forged tokens', () => {
  const publicRoutes = ROUTES.filter((r) => r.auth === 'public' && r.path.includes('{token}'));

  it.each(publicRoutes.map((r) => [r.method, r.path] as const))(
    '%s %s: no forgery accepted, no 5xx',
    async (method, path) => {
      const before = JSON.stringify([(await api.get(`/v1/recipients/${recipientId}`)).body, (await api.get(`/v1/recipients/${recipientId}/ledger`)).body]);
      const record = (await api.get(`/v1/messages/${messageId}`)).body;
      const seed = [...`${method} ${path}`].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7);
      const tokens = forgeries(valid, PER_ROUTE, seed);
      const statuses = new Map<number, number>();
      let wrongGif = 0;
      await pool(tokens, async (token) => {
        const target = path.replace('{token}', encodeURIComponent(token) + (path.startsWith('/o/') ? '.gif' : ''));
        const init: RequestInit =
          method === 'POST' ? { method, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click&form=preferences&unsubscribed_all=on&scope=all', redirect: 'manual' } : { redirect: 'manual' };
        const res = await gw.call(target, init);
        const body = Buffer.from(await res.arrayBuffer());
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        if (path.startsWith('/o/') && !(res.status === 200 && body.equals(PIXEL_GIF))) wrongGif++;
      });
      expect(tokens.length).toBeGreaterThanOrEqual(PER_ROUTE);
      expect([...statuses.keys()].filter((s) => s >= 500)).toEqual([]);
      if (path.startsWith('/o/')) expect(wrongGif).toBe(0);
      else expect(Object.fromEntries(statuses)).toEqual({ 404: tokens.length });
      // Nothing changed: the recipient, its ledger, and the message's opens and clicks.
      const after = JSON.stringify([(await api.get(`/v1/recipients/${recipientId}`)).body, (await api.get(`/v1/recipients/${recipientId}/ledger`)).body]);
      expect(after).toBe(before);
      const recordAfter = (await api.get(`/v1/messages/${messageId}`)).body;
      expect([recordAfter.opens, recordAfter.clicks]).toEqual([record.opens, record.clicks]);
    },
    180_000,
  );
});
