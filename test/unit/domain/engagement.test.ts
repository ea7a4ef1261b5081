/** The engagement rules: one test per row of ENGAGEMENT_RULES, each with a request it catches and one it lets by. */
import { describe, expect, it } from 'vitest';
import { BURST_SECONDS, classifyEngagement, ENGAGEMENT_RULES, isBurst, type EngagementSignal } from '../../../lambdas/domain/engagement.ts';

const at = new Date('2026-11-22T10:00:00Z');
const iphone = 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148';
const hourAgo = new Date(at.getTime() - 3_600_000);
const person = (channel: 'open' | 'click', extra: Partial<EngagementSignal> = {}): EngagementSignal => ({
  channel,
  method: 'GET',
  userAgent: iphone,
  ip: '198.51.100.4',
  sentAt: hourAgo,
  at,
  ...(channel === 'click' ? { linkIndex: 0, linkCount: 3, recentClicks: [] } : {}),
  ...extra,
});
const machine = (reason: string) => ({ count: true, machine: true, reason });
const human = { count: true, machine: false };

/** Each rule's row: requests it must catch and look-alikes it must not. */
const ROWS: Record<string, { catches: EngagementSignal[]; passes: EngagementSignal[]; expected: unknown }> = {
  head: {
    catches: [person('open', { method: 'HEAD' }), person('click', { method: 'HEAD' }), person('click', { method: 'head' })],
    passes: [person('open', { method: 'GET' }), person('click', { method: 'GET' })],
    expected: { count: false, rule: 'head' },
  },
  apple_mpp: {
    catches: [
      person('open', { userAgent: 'Mozilla/5.0', ip: '17.58.101.3' }),
      person('open', { userAgent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko)', ip: '::ffff:17.1.2.3' }),
    ],
    // A real browser on Apple's network is a person at Apple; the proxy UA elsewhere is not the proxy; clicks never.
    passes: [person('open', { ip: '17.5.5.5' }), person('open', { userAgent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko)' })],
    expected: machine('apple_mpp'),
  },
  scanner: {
    catches: [
      'Proofpoint URL Defense',
      'Mozilla/5.0 (compatible; urldefense.proofpoint.com)',
      'Barracuda Sentinel (EE)',
      'Microsoft Office Existence Discovery',
      'Mozilla/5.0 (Windows NT 10.0) SafeLinks',
      'Mozilla/5.0 (compatible; Mimecast)',
      'IronPort Web Security',
      'Zscaler',
    ].flatMap((userAgent) => [person('click', { userAgent }), person('open', { userAgent })]),
    passes: [person('click'), person('click', { userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36 Edg/131.0' })],
    expected: null,
  },
  prefetcher: {
    catches: ['', 'python-requests/2.32', 'curl/8.5.0', 'Slackbot-LinkExpanding 1.0', 'facebookexternalhit/1.1', 'Go-http-client/2.0'].flatMap((userAgent) => [
      person('click', { userAgent }),
      person('open', { userAgent }),
    ]),
    passes: [person('open', { userAgent: 'Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)' })],
    expected: machine('prefetcher'),
  },
  too_soon: {
    catches: [person('open', { sentAt: new Date(at.getTime() - 1500) }), person('click', { sentAt: new Date(at.getTime() - 9000) })],
    passes: [person('open', { sentAt: new Date(at.getTime() - 3000) }), person('click', { sentAt: new Date(at.getTime() - 11_000) }), person('click', {})],
    expected: machine('too_soon'),
  },
  burst: {
    catches: [
      person('click', { linkIndex: 2, linkCount: 3, recentClicks: [{ linkIndex: 0, at: new Date(at.getTime() - 300) }, { linkIndex: 1, at: new Date(at.getTime() - 200) }] }),
      person('click', { linkIndex: 0, linkCount: 2, recentClicks: [{ linkIndex: 1, at }] }),
    ],
    passes: [
      // Not every link; a one-link mail; the other link clicked long before; opens have no links.
      person('click', { linkIndex: 2, linkCount: 3, recentClicks: [{ linkIndex: 0, at: new Date(at.getTime() - 300) }] }),
      person('click', { linkIndex: 0, linkCount: 1, recentClicks: [] }),
      person('click', { linkIndex: 1, linkCount: 2, recentClicks: [{ linkIndex: 0, at: new Date(at.getTime() - (BURST_SECONDS + 1) * 1000) }] }),
      person('click', { linkIndex: 1, linkCount: 2, recentClicks: [{ linkIndex: 1, at }, { linkIndex: 1, at }] }),
    ],
    expected: machine('burst'),
  },
};

describe('ENGAGEMENT_RULES', () => {
  it('has a test row for every rule, and every rule names its source', () => {
    expect(Object.keys(ROWS).sort()).toEqual(ENGAGEMENT_RULES.map((r) => r.id).sort());
    for (const r of ENGAGEMENT_RULES) expect(r.source.length).toBeGreaterThan(10);
  });

  for (const rule of ENGAGEMENT_RULES) {
    it(`${rule.id}: ${rule.outcome === 'ignore' ? 'never counts' : 'counts as machine'} what it recognises, and nothing else`, () => {
      const row = ROWS[rule.id]!;
      for (const s of row.catches) {
        expect(rule.matches(s), JSON.stringify(s)).toBe(true);
        expect(classifyEngagement(s), JSON.stringify(s)).toEqual(row.expected ?? machine(rule.id));
      }
      for (const s of row.passes) {
        expect(rule.matches(s) && rule.channels.includes(s.channel), JSON.stringify(s)).toBe(false);
        expect(classifyEngagement(s), JSON.stringify(s)).toEqual(human);
      }
    });
  }

  it('counts a person as human on both channels', () => {
    expect(classifyEngagement(person('open'))).toEqual(human);
    expect(classifyEngagement(person('click'))).toEqual(human);
  });

  it('tries the rules in order: a HEAD from a scanner is not counted at all', () => {
    expect(classifyEngagement(person('click', { method: 'HEAD', userAgent: 'Proofpoint' }))).toEqual({ count: false, rule: 'head' });
    expect(classifyEngagement(person('click', { userAgent: 'Barracuda', sentAt: at }))).toEqual(machine('scanner'));
  });

  it('isBurst ignores clicks after the one judged', () => {
    expect(isBurst({ linkIndex: 0, linkCount: 2, at, recentClicks: [{ linkIndex: 1, at: new Date(at.getTime() + 1000) }] })).toBe(false);
  });
});
