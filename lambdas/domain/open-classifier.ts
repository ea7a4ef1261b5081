/**
 * Was an open a person reading the mail, or a machine fetching images? Apple Mail Privacy Protection loads every
 * remote image through Apple's proxies as soon as mail arrives; security gateways and link scanners fetch images
 * and links before anyone reads anything. Counting those as opens inflates open rates and misleads campaign
 * decisions, so each open is flagged with why it looks machine-made.
 */
export type OpenKind = { readonly machine: false } | { readonly machine: true; readonly reason: 'apple_mpp' | 'prefetcher' | 'too_soon' };

export interface OpenSignal {
  readonly userAgent?: string;
  /** The client IP as seen by the endpoint (classified here, then only stored pseudonymized). */
  readonly ip?: string;
  /** When the message was sent, if known. */
  readonly sentAt?: Date;
  readonly at: Date;
}

// Apple's proxies fetch with a generic desktop Safari user agent, from Apple's 17.0.0.0/8 network.
const APPLE_NETWORK = /^(?:::ffff:)?17\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;
const APPLE_PROXY_UA = /^Mozilla\/5\.0$|^Mozilla\/5\.0 \(Macintosh; Intel Mac OS X 10_15_7\) AppleWebKit\/605\.1\.15 \(KHTML, like Gecko\)$/;
// Scanners, prefetchers and HTTP libraries. Gmail's, Yahoo's and Outlook's image proxies are not here: they fetch
// when a person opens the mail, so their opens are human.
const PREFETCHERS =
  /bot\b|crawler|spider|preview|scanner|barracuda|mimecast|proofpoint|fireeye|trendmicro|symantec|forcepoint|sophos|cisco|ironport|zscaler|safelinks|facebookexternalhit|slackbot|discordbot|whatsapp|skypeuripreview|curl\/|wget\/|python-requests|python-urllib|go-http-client|okhttp|java\/|libwww|httpclient|axios|node-fetch|undici/i;

/** Opens within this many seconds of the send are gateway scans, not readers. */
const TOO_SOON_SECONDS = 2;

/**
 * @example
 * classifyOpen({ userAgent: 'Mozilla/5.0', ip: '17.58.1.9', at: new Date() })            // { machine: true, reason: 'apple_mpp' }
 * classifyOpen({ userAgent: 'Mozilla/5.0 (iPhone; …) Mobile/15E148', ip: '198.51.100.4', at: new Date() }) // { machine: false }
 */
export function classifyOpen(signal: OpenSignal): OpenKind {
  const ua = signal.userAgent?.trim() ?? '';
  if (signal.ip && APPLE_NETWORK.test(signal.ip) && (ua === '' || APPLE_PROXY_UA.test(ua))) return { machine: true, reason: 'apple_mpp' };
  if (ua === '' || PREFETCHERS.test(ua)) return { machine: true, reason: 'prefetcher' };
  if (signal.sentAt && (signal.at.getTime() - signal.sentAt.getTime()) / 1000 < TOO_SOON_SECONDS) return { machine: true, reason: 'too_soon' };
  return { machine: false };
}
