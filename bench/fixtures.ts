/**
 * Synthetic inputs for the per-recipient benchmark: a marketing template of realistic size, and a population of
 * recipients in every state the send rule knows. Everything is derived from a seed, so two runs with the same
 * `--seed` and `--recipients` measure exactly the same work.
 */
import type { HoldReason, RecipientState } from '../lambdas/domain/decide.ts';
import { RecipientStateSchema } from '../lambdas/schemas/decision.ts';
import type { Template } from '../lambdas/domain/template.ts';
import type { Keyring } from '../lambdas/domain/tokens.ts';

/** mulberry32: tiny, fast, good enough to shuffle a synthetic population; never for anything secret. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A ULID-shaped id (`rcp_` + 26 characters) like the ones tokens carry, so token lengths are the real ones. */
function ulidLike(prefix: string, random: () => number): string {
  let s = prefix;
  for (let i = 0; i < 26; i++) s += CROCKFORD[Math.floor(random() * 32)];
  return s;
}

export const TOPIC = 'newsletter';
/** The instant every decision is made at; fixed so suppression expiry comes out the same in every run. */
export const NOW = new Date('2025-06-02T09:00:00Z');
export const FROM = 'Sendwell News <news@mail.sendwell.example>';
export const POSTAL_ADDRESS = 'Sendwell Ltd, 1 Example Street, Springfield 12345';
export const PUBLIC_BASE_URL = 'https://mail.sendwell.example';
/** A fixed key: the benchmark signs synthetic tokens and must not read real secrets. */
export const KEYRING: Keyring = { current: 'k2', keys: { k1: 'bench-old-key-0000000000000000', k2: 'bench-signing-key-not-a-secret-000000' } };

/** How a recipient is set up and what the send rule must answer for a marketing mail on {@link TOPIC}. */
interface Profile {
  readonly name: string;
  /** Relative share of the population. */
  readonly weight: number;
  readonly expected: 'send' | HoldReason;
  readonly countries: readonly string[];
  readonly state: (country: string) => Partial<RecipientState>;
}

const confirmedAt = '2024-11-03T10:00:00Z';
const past = '2025-01-01T00:00:00Z'; // before NOW: a suppression that has lapsed
const future = '2026-01-01T00:00:00Z';

/**
 * The population mix: mostly people who can be mailed (a list is mostly its subscribers), and every hold reason
 * in proportions a real marketing list shows after a few years.
 */
const PROFILES: readonly Profile[] = [
  { name: 'opted in, standard zone (tracked)', weight: 34, expected: 'send', countries: ['US', 'CA', 'BR', 'JP', 'AU'],
    state: () => ({ consents: { [TOPIC]: { status: 'opted_in' } } }) },
  { name: 'opted in + confirmed, EU/UK (not tracked)', weight: 20, expected: 'send', countries: ['DE', 'FR', 'GB', 'NL', 'ES'],
    state: () => ({ consents: { [TOPIC]: { status: 'opted_in', confirmedAt } } }) },
  { name: 'opted in + confirmed, EU, tracking on', weight: 6, expected: 'send', countries: ['DE', 'IT', 'SE'],
    state: () => ({ consents: { [TOPIC]: { status: 'opted_in', confirmedAt } }, tracking: true }) },
  { name: 'opted in, complaint suppression lapsed', weight: 2, expected: 'send', countries: ['US'],
    state: () => ({ consents: { [TOPIC]: { status: 'opted_in' } }, suppressions: [{ reason: 'complaint', scope: 'marketing', expiresAt: past }] }) },
  { name: 'opted out of the topic', weight: 10, expected: 'opted_out', countries: ['US', 'DE', 'CA'],
    state: () => ({ consents: { [TOPIC]: { status: 'opted_out' }, offers: { status: 'opted_in' } } }) },
  { name: 'EU, double opt-in pending', weight: 6, expected: 'pending_confirmation', countries: ['FR', 'DE', 'PL'],
    state: () => ({ consents: { [TOPIC]: { status: 'pending' } } }) },
  { name: 'EU, opted in but never confirmed', weight: 2, expected: 'pending_confirmation', countries: ['AT', 'IE'],
    state: () => ({ consents: { [TOPIC]: { status: 'opted_in' } } }) },
  { name: 'opted in to another topic only', weight: 5, expected: 'not_opted_in', countries: ['US', 'GB'],
    state: () => ({ consents: { offers: { status: 'opted_in', confirmedAt } } }) },
  { name: 'unsubscribed from all marketing', weight: 5, expected: 'unsubscribed_all', countries: ['US', 'FR'],
    state: () => ({ consents: { [TOPIC]: { status: 'opted_in', confirmedAt } }, unsubscribedAll: true }) },
  { name: 'complained', weight: 3, expected: 'complained', countries: ['US', 'DE'],
    state: () => ({ consents: { [TOPIC]: { status: 'opted_in', confirmedAt } }, suppressions: [{ reason: 'complaint', scope: 'marketing' }] }) },
  { name: 'hard bounced', weight: 4, expected: 'undeliverable', countries: ['US', 'BR', 'ES'],
    state: () => ({ consents: { [TOPIC]: { status: 'opted_in', confirmedAt } }, suppressions: [{ reason: 'hard_bounce', scope: 'all' }] }) },
  { name: 'manual marketing suppression (until 2026)', weight: 2, expected: 'suppressed', countries: ['CA'],
    state: () => ({ consents: { [TOPIC]: { status: 'opted_in' } }, suppressions: [{ reason: 'manual', scope: 'marketing', expiresAt: future }] }) },
  { name: 'erased', weight: 1, expected: 'erased', countries: ['DE'],
    state: () => ({ erased: true, suppressions: [{ reason: 'erased', scope: 'all' }] }) },
];

const FIRST_NAMES = ['Jane', 'Omar', 'Ines', 'Kenji', 'Zoë', 'Liam', 'Aroha', 'Mateus', 'Chloé', 'Søren'];
// A few mixed-case local parts and an internationalized domain, so address normalization does its real work.
const DOMAINS = ['example.com', 'Mail.Example.org', 'example.co.uk', 'bücher.example', 'posteo.example'];

export interface SyntheticRecipient {
  readonly recipientId: string;
  /** The id of the message this send would create; open and click tokens name it. */
  readonly messageId: string;
  readonly address: string;
  readonly firstName: string;
  readonly profile: string;
  readonly expected: 'send' | HoldReason;
  readonly state: RecipientState;
}

/**
 * `count` recipients drawn from {@link PROFILES} by weight. The states go through `RecipientStateSchema.parse`
 * here, outside any timed region: in the service that parse happens when the record is read, not per decision.
 */
export function buildPopulation(count: number, seed: number): SyntheticRecipient[] {
  const random = seededRandom(seed);
  const total = PROFILES.reduce((sum, p) => sum + p.weight, 0);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const out: SyntheticRecipient[] = [];
  for (let i = 0; i < count; i++) {
    let roll = random() * total;
    const profile = PROFILES.find((p) => (roll -= p.weight) < 0) ?? (PROFILES[0] as Profile);
    const country = pick(profile.countries);
    const firstName = pick(FIRST_NAMES);
    // SES cannot deliver to a non-ASCII local part, so the address folds the name to ASCII; 30% keep capitals.
    const ascii = firstName.normalize('NFD').replace(/[^A-Za-z]/g, '');
    const local = `${random() < 0.3 ? ascii : ascii.toLowerCase()}.${i}`;
    out.push({
      recipientId: ulidLike('rcp_', random),
      messageId: ulidLike('msg_', random),
      address: `${local}@${pick(DOMAINS)}`,
      firstName,
      profile: profile.name,
      expected: profile.expected,
      state: RecipientStateSchema.parse({ country, ...profile.state(country) }),
    });
  }
  return out;
}

const ARTICLES = [
  ['Spring collection is here', 'https://shop.example.com/spring?utm_source=newsletter&utm_medium=email'],
  ['How we source our cotton', 'https://blog.example.com/2025/05/sourcing-cotton'],
  ['Members get 20% off this week', 'https://shop.example.com/members/offers?code={{offer.code}}'],
  ['Events near you', 'https://events.example.com/near-you?lang=en&region=all'],
  ['Behind the scenes: our workshop', 'https://blog.example.com/2025/05/workshop-tour'],
  ['Read this issue on the web', 'https://news.example.com/issues/2025-06'],
] as const;

const PARAGRAPH =
  'We have spent the last few months working with small mills and workshops to bring you pieces that last. ' +
  'Every item is made in limited runs, finished by hand and shipped in recycled packaging. Thank you for being ' +
  'part of this: your feedback shaped most of what you will see below.';

function articleHtml([title, url]: readonly [string, string], i: number): string {
  return `
      <tr><td style="padding:24px 32px;border-bottom:1px solid #e5e7eb;font-family:Helvetica,Arial,sans-serif">
        <h2 style="margin:0 0 8px;font-size:20px;line-height:28px;color:#111827">${title}</h2>
        <p style="margin:0 0 12px;font-size:15px;line-height:22px;color:#374151">${PARAGRAPH.slice(0, i % 2 === 0 ? 160 : 105)}</p>
        <a href="${url.replaceAll('&', '&amp;')}" style="color:#2563eb;font-weight:bold">Read more &rarr;</a>
      </td></tr>`;
}

/**
 * A newsletter of the size marketing mail really has: table layout with inline styles, about 5 KB of HTML, six
 * content links (click-tracked when tracking is allowed), Sendwell's own unsubscribe and preference links (never
 * tracked), a text part with the same content, and a few data placeholders.
 */
export const TEMPLATE: Template = {
  class: 'marketing',
  topic: TOPIC,
  subject: '{{first_name}}, your June newsletter is here',
  html: `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>June newsletter</title></head>
<body style="margin:0;padding:0;background:#f3f4f6">
  <table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="background:#f3f4f6">
  <tr><td align="center" style="padding:24px 8px">
    <table role="presentation" width="600" cellpadding="0" cellspacing="0" style="max-width:600px;background:#ffffff;border-radius:8px">
      <tr><td style="padding:32px;font-family:Helvetica,Arial,sans-serif;font-size:16px;line-height:24px;color:#111827">
        <p style="margin:0 0 16px">Hi {{first_name}},</p>
        <p style="margin:0">${PARAGRAPH}</p>
        <p style="margin:16px 0 0">Your member code this month is <strong>{{offer.code}}</strong>, valid until {{offer.until}}.</p>
      </td></tr>${ARTICLES.map(articleHtml).join('')}
      <tr><td style="padding:24px 32px;font-family:Helvetica,Arial,sans-serif;font-size:12px;line-height:18px;color:#6b7280">
        <p style="margin:0 0 8px">You receive this because you subscribed to our newsletter.
          <a href="{{preferences_url}}" style="color:#6b7280">Manage your preferences</a> or
          <a href="{{unsubscribe_url}}" style="color:#6b7280">unsubscribe</a>.</p>
        <p style="margin:0">{{postal_address}}</p>
      </td></tr>
    </table>
  </td></tr>
  </table>
</body></html>
`,
  text: `Hi {{first_name}},

${PARAGRAPH}

Your member code this month is {{offer.code}}, valid until {{offer.until}}.

${ARTICLES.map(([title, url]) => `${title}\n${url}\n`).join('\n')}
--
You receive this because you subscribed to our newsletter.
Manage your preferences: {{preferences_url}}
Unsubscribe: {{unsubscribe_url}}
{{postal_address}}
`,
};

/** The caller data one recipient's mail is rendered with. */
export function templateData(r: SyntheticRecipient): Readonly<Record<string, unknown>> {
  return { first_name: r.firstName, offer: { code: `JUNE-${r.recipientId.slice(-5)}`, until: '30 June 2025' } };
}
