import { describe, expect, it } from 'vitest';
import { classifyOpen } from '../../../lambdas/domain/open-classifier.ts';

const at = new Date('2026-11-22T10:00:00Z');
const iphone = 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148';

describe('classifyOpen', () => {
  it('flags Apple Mail Privacy Protection: Apple network with the proxy user agent', () => {
    expect(classifyOpen({ userAgent: 'Mozilla/5.0', ip: '17.58.101.3', at })).toEqual({ machine: true, reason: 'apple_mpp' });
    expect(classifyOpen({ userAgent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko)', ip: '17.1.2.3', at })).toMatchObject({ reason: 'apple_mpp' });
  });

  it('flags scanners, previewers and HTTP libraries, and an empty user agent', () => {
    for (const ua of ['Barracuda Sentinel (EE)', 'Mozilla/5.0 (compatible; Mimecast)']) {
      expect(classifyOpen({ userAgent: ua, ip: '198.51.100.4', at })).toEqual({ machine: true, reason: 'scanner' });
    }
    for (const ua of ['python-requests/2.32', 'curl/8.5.0', 'Slackbot-LinkExpanding 1.0', '']) {
      expect(classifyOpen({ userAgent: ua, ip: '198.51.100.4', at })).toEqual({ machine: true, reason: 'prefetcher' });
    }
  });

  it('flags an open within two seconds of the send as a gateway scan', () => {
    expect(classifyOpen({ userAgent: iphone, ip: '198.51.100.4', at, sentAt: new Date(at.getTime() - 1500) })).toEqual({ machine: true, reason: 'too_soon' });
  });

  it('counts a person reading on a phone, or through Gmail’s image proxy, as human', () => {
    expect(classifyOpen({ userAgent: iphone, ip: '198.51.100.4', at, sentAt: new Date(at.getTime() - 60_000) })).toEqual({ machine: false });
    expect(classifyOpen({ userAgent: 'Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)', ip: '66.249.1.1', at })).toEqual({ machine: false });
    // An Apple network address with a real browser user agent is a person at Apple, not the proxy.
    expect(classifyOpen({ userAgent: iphone, ip: '17.5.5.5', at })).toEqual({ machine: false });
  });
});
