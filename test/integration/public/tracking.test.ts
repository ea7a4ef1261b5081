/** The open pixel and tracked links: what they answer, what they record, and when they record nothing. */
import { describe, expect, it } from 'vitest';
import { documentClient } from '../../../lambdas/adapters/clients.ts';
import { config } from '../../../lambdas/adapters/config.ts';
import { MessageStore } from '../../../lambdas/adapters/dynamo/message-store.ts';
import { PIXEL_GIF } from '../../../lambdas/handlers/open-pixel.ts';
import { useGateway } from '../../support/suite.ts';
import { hrefs } from '../../support/mailbox.ts';
import { pathOf } from '../../support/scenario.ts';

const suite = useGateway('tracking');
const iphone = 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148';


async function sentMail(label: string, country = 'US') {
  const r = await suite.s.recipient(label, country);
  const sent = await suite.s.sendMarketing({ recipientId: r.id });
  expect(sent.status).toBe('sent');
  const mail = await suite.s.lastMarketingMail(r.email);
  const pixel = /<img src="([^"]+\/o\/[^"]+\.gif)"/.exec(mail.body.html ?? '')?.[1];
  const clicks = hrefs(mail.body.html ?? '').filter((l) => l.includes('/c/'));
  return { r, messageId: sent.messageId, pixel, clicks };
}

const gif = async (path: string, ua = iphone) => {
  const res = await suite.gw.call(path, { headers: { 'user-agent': ua } });
  return { res, bytes: Buffer.from(await res.arrayBuffer()) };
};

describe('open pixel', () => {
  it('answers the 43-byte GIF, uncached, and counts unique and total, human and machine opens', async () => {
    const { pixel, messageId } = await sentMail('pixel');
    expect(pixel).toBeDefined();
    await new Promise((r) => setTimeout(r, 2100)); // an open within 2 s of the send counts as a gateway scan
    const { res, bytes } = await gif(pathOf(pixel!));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/gif');
    expect(res.headers.get('cache-control')).toMatch(/no-store/);
    expect(bytes.equals(PIXEL_GIF)).toBe(true);
    expect(bytes).toHaveLength(43);
    await gif(pathOf(pixel!));
    await gif(pathOf(pixel!), 'curl/8.5.0');

    const record = (await suite.api.get(`/v1/messages/${messageId}`)).body;
    expect(record).toMatchObject({ opens: 3, humanOpens: 2, machineOpens: 1 });
    const opens = record.events.filter((e: { type: string }) => e.type === 'open');
    expect(opens).toHaveLength(3);
    expect(opens[0].detail.ipPseudonym).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(JSON.stringify(record)).not.toContain('127.0.0.1');
    const counters = await new MessageStore(documentClient(), config().tables).dayCounters(new Date().toISOString().slice(0, 10));
    expect(counters.opens_unique).toBeGreaterThanOrEqual(1);
    expect(counters.opens_machine).toBeGreaterThanOrEqual(1);
  });

  it('answers the same GIF for a forged, garbled or missing token', async () => {
    const { pixel } = await sentMail('pixel-forged');
    const path = pathOf(pixel!);
    for (const p of [path.replace(/.\.gif$/, 'x.gif'), '/o/nothing.gif', '/o/%FF%FE.gif', `/o/${'A'.repeat(5000)}.gif`]) {
      const { res, bytes } = await gif(p);
      expect(res.status).toBe(200);
      expect(bytes.equals(PIXEL_GIF)).toBe(true);
    }
  });

  it('puts no pixel in the mail of someone without tracking consent, and records nothing once consent is withdrawn', async () => {
    const r0 = await suite.s.recipient('pixel-off');
    await suite.api.put(`/v1/recipients/${r0.id}/preferences`, { tracking: false });
    expect((await suite.s.sendMarketing({ recipientId: r0.id })).status).toBe('sent');
    const off = await suite.s.lastMarketingMail(r0.email);
    expect(off.body.html).not.toContain('/o/');
    expect(hrefs(off.body.html ?? '').filter((l) => l.includes('/c/'))).toEqual([]);
    expect(hrefs(off.body.html ?? '')).toContain('https://shop.example/deal?x=1');

    const { r, pixel, messageId } = await sentMail('pixel-withdrawn');
    await suite.api.put(`/v1/recipients/${r.id}/preferences`, { tracking: false });
    const { bytes } = await gif(pathOf(pixel!));
    expect(bytes.equals(PIXEL_GIF)).toBe(true);
    expect((await suite.api.get(`/v1/messages/${messageId}`)).body.opens).toBeUndefined();
  });
});

describe('tracked links', () => {
  it('redirect to the link that was in the message and count the click', async () => {
    const { clicks, messageId } = await sentMail('click');
    expect(clicks).toHaveLength(1);
    const res = await suite.gw.call(pathOf(clicks[0]!), { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('https://shop.example/deal?x=1');
    expect((await suite.api.get(`/v1/messages/${messageId}`)).body).toMatchObject({ clicks: 1 });
  });

  it('never redirect anywhere else: a tampered token or an added URL is a 404 page', async () => {
    const { clicks } = await sentMail('click-tamper');
    const path = pathOf(clicks[0]!);
    for (const p of [`${path}?url=https://evil.example`, path.slice(0, -1), '/c/https%3A%2F%2Fevil.example', '/c/x']) {
      const res = await suite.gw.call(p, { redirect: 'manual' });
      if (p.startsWith(`${path}?`)) {
        // The query string is ignored: the redirect is to the stored link, never to the one in the request.
        expect(res.headers.get('location')).toBe('https://shop.example/deal?x=1');
      } else {
        expect(res.status).toBe(404);
        expect(res.headers.get('location')).toBeNull();
      }
    }
  });
});
