/**
 * Was an open or a click a person, or a machine? Apple Mail Privacy Protection loads every remote image through
 * Apple's proxies as soon as mail arrives; security gateways (Proofpoint URL Defense, Barracuda, Microsoft Defender
 * Safe Links, Mimecast…) fetch images and follow every link before anyone reads anything; link previewers and HTTP
 * libraries do the same. Counting those as engagement inflates the figures marketing judges campaigns by, so every
 * request is classified by one table of rules, {@link ENGAGEMENT_RULES}: the first row that matches decides.
 *
 * - `ignore`: not counted at all, neither human nor machine (a `HEAD` fetches no image and follows no link).
 * - `machine`: counted, apart from human engagement, with the rule's id as the reason.
 * - no row matches: human.
 *
 * Rates use human figures only (lambdas/domain/metrics.ts); docs/operations.md lists the rules with their sources.
 */

export type EngagementChannel = 'open' | 'click';

export const MACHINE_REASONS = ['apple_mpp', 'scanner', 'prefetcher', 'too_soon', 'burst'] as const;
export type MachineReason = (typeof MACHINE_REASONS)[number];

/** A click on the same mail shortly before this one (for the burst rule). */
export interface RecentClick {
  readonly linkIndex: number;
  readonly at: Date;
}

export interface EngagementSignal {
  readonly channel: EngagementChannel;
  /** The HTTP method (`GET`, `HEAD`); absent is taken as `GET`. */
  readonly method?: string;
  readonly userAgent?: string;
  /** The client IP as seen by the endpoint (classified here, then only stored pseudonymized). */
  readonly ip?: string;
  /** When the message was sent, if known. */
  readonly sentAt?: Date;
  readonly at: Date;
  /** Clicks: the link clicked now, … */
  readonly linkIndex?: number;
  /** … how many tracked links the mail has, … */
  readonly linkCount?: number;
  /** … and the mail's other clicks of the last {@link BURST_SECONDS} seconds. */
  readonly recentClicks?: readonly RecentClick[];
}

export type EngagementKind =
  | { readonly count: false; readonly rule: 'head' }
  | { readonly count: true; readonly machine: false }
  | { readonly count: true; readonly machine: true; readonly reason: MachineReason };

export interface EngagementRule {
  readonly id: 'head' | MachineReason;
  readonly channels: readonly EngagementChannel[];
  readonly outcome: 'ignore' | 'machine';
  /** What the rule recognises, in words (docs/operations.md repeats it). */
  readonly description: string;
  /** Where the pattern comes from. */
  readonly source: string;
  readonly matches: (s: EngagementSignal) => boolean;
}

// Apple's proxies fetch with a generic desktop Safari user agent, from Apple's 17.0.0.0/8 network.
const APPLE_NETWORK = /^(?:::ffff:)?17\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;
const APPLE_PROXY_UA = /^Mozilla\/5\.0$|^Mozilla\/5\.0 \(Macintosh; Intel Mac OS X 10_15_7\) AppleWebKit\/605\.1\.15 \(KHTML, like Gecko\)$/;

/** Mail security gateways and link-protection services: they open and click before delivery to the inbox. */
export const SCANNER_USER_AGENTS =
  /proofpoint|urldefense|barracuda|safe ?links|microsoft office existence discovery|ms-office|mimecast|fireeye|trendmicro|trend micro|symantec|messagelabs|forcepoint|sophos|cisco|ironport|zscaler|scanner/i;

/**
 * Link previewers, crawlers and HTTP libraries. Gmail's, Yahoo's and Outlook's image proxies are not here: they
 * fetch when a person opens the mail, so their opens are human.
 */
export const PREFETCHER_USER_AGENTS =
  /bot\b|crawler|spider|preview|facebookexternalhit|slackbot|discordbot|whatsapp|skypeuripreview|curl\/|wget\/|python-requests|python-urllib|go-http-client|okhttp|java\/|libwww|httpclient|axios|node-fetch|undici/i;

/** Seconds after the send within which an open is a gateway scan, not a reader. */
export const TOO_SOON_SECONDS: Readonly<Record<EngagementChannel, number>> = { open: 2, click: 10 };

/** Clicks on every tracked link of one mail within this many seconds are one machine following them all. */
export const BURST_SECONDS = 5;

const ua = (s: EngagementSignal) => s.userAgent?.trim() ?? '';
const secondsSinceSend = (s: EngagementSignal) => (s.sentAt ? (s.at.getTime() - s.sentAt.getTime()) / 1000 : undefined);

/**
 * Whether this click, with the mail's recent ones, covers every tracked link of a mail that has at least two.
 *
 * @example
 * isBurst({ linkIndex: 1, linkCount: 2, at, recentClicks: [{ linkIndex: 0, at: new Date(at.getTime() - 800) }] }) // true
 */
export function isBurst(s: Pick<EngagementSignal, 'linkIndex' | 'linkCount' | 'recentClicks' | 'at'>): boolean {
  if (s.linkIndex === undefined || s.linkCount === undefined || s.linkCount < 2) return false;
  const since = s.at.getTime() - BURST_SECONDS * 1000;
  const hit = new Set([s.linkIndex, ...(s.recentClicks ?? []).filter((c) => c.at.getTime() >= since && c.at.getTime() <= s.at.getTime()).map((c) => c.linkIndex)]);
  for (let i = 0; i < s.linkCount; i++) if (!hit.has(i)) return false;
  return true;
}

/** The rules, in the order they are tried. */
export const ENGAGEMENT_RULES: readonly EngagementRule[] = [
  {
    id: 'head',
    channels: ['open', 'click'],
    outcome: 'ignore',
    description: 'A HEAD request: it loads no image and follows no link (link checkers, scanners probing a URL).',
    source: 'RFC 9110 §9.3.2: HEAD transfers no content.',
    matches: (s) => (s.method ?? 'GET').toUpperCase() === 'HEAD',
  },
  {
    id: 'apple_mpp',
    channels: ['open'],
    outcome: 'machine',
    description: "Apple Mail Privacy Protection: Apple's 17.0.0.0/8 network with the proxy's bare Safari user agent (or none).",
    source: 'Apple, "Mail Privacy Protection" (support.apple.com/HT212510); Apple owns 17.0.0.0/8 (ARIN).',
    matches: (s) => s.channel === 'open' && !!s.ip && APPLE_NETWORK.test(s.ip) && (ua(s) === '' || APPLE_PROXY_UA.test(ua(s))),
  },
  {
    id: 'scanner',
    channels: ['open', 'click'],
    outcome: 'machine',
    description: 'A mail security gateway or link-protection service: Proofpoint URL Defense, Barracuda, Microsoft Defender Safe Links and Office link discovery, Mimecast, FireEye, Trend Micro, Symantec, Forcepoint, Sophos, Cisco IronPort, Zscaler.',
    source: "The user agents those products send (their vendors' documentation; M3AAWG, \"Best Practices for Link Scanning\").",
    matches: (s) => SCANNER_USER_AGENTS.test(ua(s)),
  },
  {
    id: 'prefetcher',
    channels: ['open', 'click'],
    outcome: 'machine',
    description: 'No user agent, a link previewer or crawler (Slack, Facebook, WhatsApp, Skype, Discord, Bing preview) or an HTTP library (curl, wget, python-requests, Go, Java, okhttp, axios, node-fetch).',
    source: 'The user agents those tools send by default; a browser always sends one.',
    matches: (s) => ua(s) === '' || PREFETCHER_USER_AGENTS.test(ua(s)),
  },
  {
    id: 'too_soon',
    channels: ['open', 'click'],
    outcome: 'machine',
    description: `Within ${TOO_SOON_SECONDS.open} s (open) or ${TOO_SOON_SECONDS.click} s (click) of the send: a gateway scanning the mail on arrival, before a person can have read it.`,
    source: 'Gateways scan on delivery, which SES reports within seconds of the send; a reader needs longer.',
    matches: (s) => {
      const seconds = secondsSinceSend(s);
      return seconds !== undefined && seconds < TOO_SOON_SECONDS[s.channel];
    },
  },
  {
    id: 'burst',
    channels: ['click'],
    outcome: 'machine',
    description: `Every tracked link of a mail (two or more) clicked within ${BURST_SECONDS} s: a scanner following them all. Clicks already counted human in that burst are counted again as machine.`,
    source: 'A person opens one link, maybe two, and reads the page between them; scanners request every link at once.',
    matches: (s) => s.channel === 'click' && isBurst(s),
  },
];

/**
 * Classifies one request to the pixel or a tracked link: the first rule of {@link ENGAGEMENT_RULES} for its
 * channel that matches.
 *
 * @example
 * classifyEngagement({ channel: 'click', method: 'HEAD', at })                            // { count: false, rule: 'head' }
 * classifyEngagement({ channel: 'click', userAgent: 'Proofpoint URL Defense', at })       // { count: true, machine: true, reason: 'scanner' }
 * classifyEngagement({ channel: 'open', userAgent: 'Mozilla/5.0 (iPhone; …)', ip: '198.51.100.4', at }) // { count: true, machine: false }
 */
export function classifyEngagement(signal: EngagementSignal): EngagementKind {
  for (const rule of ENGAGEMENT_RULES) {
    if (!rule.channels.includes(signal.channel) || !rule.matches(signal)) continue;
    if (rule.outcome === 'ignore') return { count: false, rule: 'head' };
    return { count: true, machine: true, reason: rule.id as MachineReason };
  }
  return { count: true, machine: false };
}
