/**
 * The data the public-endpoint benchmark needs, made the way a user makes it: through the admin API of the running
 * gateway (`Authorization: Bearer <admin key>`) and the local SES store. A topic, a marketing template with a
 * tracked link, opted-in recipients (bulk import), and marketing mail sent to some of them; their pixel and
 * one-click unsubscribe URLs are read from the mail as a mail client finds them.
 *
 * The bench cannot use `test/support/*` (those helpers read vitest's `inject`), so this is its own small client.
 */
import { parseKeyring } from '../lambdas/adapters/keys.ts';
import { buildLinks } from '../lambdas/domain/links.ts';
import { newId } from '../lambdas/services/ids.ts';

/** A body the admin client sends as it is, with its own content type (JSON lines for the import). */
export class RawBody {
  readonly text: string;
  readonly contentType: string;
  constructor(text: string, contentType: string) {
    this.text = text;
    this.contentType = contentType;
  }
}

export interface AdminAnswer {
  readonly status: number;
  readonly body: any;
}

export function adminApi(gatewayUrl: string, adminKey: string) {
  return async (method: string, path: string, body?: unknown): Promise<AdminAnswer> => {
    const raw = body instanceof RawBody;
    const res = await fetch(`${gatewayUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${adminKey}`,
        ...(body === undefined ? {} : { 'content-type': raw ? body.contentType : 'application/json' }),
      },
      ...(body === undefined ? {} : { body: raw ? body.text : JSON.stringify(body) }),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    return { status: res.status, body: text && res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text };
  };
}

export type AdminApi = ReturnType<typeof adminApi>;

async function expectStatus(answer: Promise<AdminAnswer>, status: number, what: string): Promise<any> {
  const a = await answer;
  if (a.status !== status) throw new Error(`${what}: expected ${status}, got ${a.status} ${JSON.stringify(a.body).slice(0, 300)}`);
  return a.body;
}

/** Runs `fn` over `items` with at most `limit` at a time; results in input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

export interface BenchTopic {
  readonly topic: string;
  readonly topicName: string;
  readonly template: string;
}

/** A topic and a marketing template like the tests' scenario: one tracked link, unsubscribe and preference links. */
export async function createTopicAndTemplate(api: AdminApi, runId: string): Promise<BenchTopic> {
  const topic = `bench-${runId}`;
  const topicName = `Bench news ${runId}`;
  const template = `bench-mail-${runId}`;
  await expectStatus(api('POST', '/v1/topics', { id: topic, name: topicName, description: 'Benchmark topic' }), 201, 'create topic');
  await expectStatus(
    api('POST', '/v1/templates', {
      id: template,
      class: 'marketing',
      topic,
      subject: `Bench news ${runId}`,
      html: '<html><body><p>Hello</p><p><a href="https://shop.example/deal?x=1">See the deal</a></p><p><a href="{{unsubscribe_url}}">Unsubscribe</a> · <a href="{{preferences_url}}">Preferences</a></p><p>{{postal_address}}</p></body></html>',
      text: 'Hello\nhttps://shop.example/deal?x=1\nUnsubscribe: {{unsubscribe_url}}\nPreferences: {{preferences_url}}\n{{postal_address}}',
    }),
    201,
    'create template',
  );
  return { topic, topicName, template };
}

export interface BenchRecipient {
  readonly id: string;
  readonly email: string;
}

/** `count` addresses for one pool of this run. */
export const benchAddresses = (runId: string, label: string, count: number): string[] =>
  Array.from({ length: count }, (_, i) => `bench.${runId}.${label}.${i}@example.com`);

/**
 * Recipients in the US (open tracking on by default there), opted in to `topic` with signup-form evidence, in one
 * `POST /v1/recipients/import` (JSON lines).
 */
export async function importOptedIn(api: AdminApi, topic: string, emails: readonly string[]): Promise<void> {
  const at = new Date().toISOString();
  const rows = emails.map((email) => JSON.stringify({ email, country: 'US', consents: { [topic]: { status: 'opted_in', at, source: 'signup_form' } } }));
  const report = await expectStatus(api('POST', '/v1/recipients/import', new RawBody(rows.join('\n'), 'application/x-ndjson')), 200, 'import recipients');
  if (report.created !== emails.length || report.rejected?.length) throw new Error(`import: ${JSON.stringify(report).slice(0, 500)}`);
}

/** The id of each address (`GET /v1/recipients?email=`), checking the import opted it in. */
export function findRecipients(api: AdminApi, topic: string, emails: readonly string[], parallel: number): Promise<BenchRecipient[]> {
  return mapLimit(emails, parallel, async (email) => {
    const found = await expectStatus(api('GET', `/v1/recipients?email=${encodeURIComponent(email)}`), 200, 'find recipient');
    if (found.consents?.[topic]?.status !== 'opted_in') throw new Error(`${email} is not opted in after the import: ${JSON.stringify(found.consents)}`);
    return { id: found.id as string, email };
  });
}

export interface MailedRecipient extends BenchRecipient {
  readonly messageId: string;
  /** `/o/<token>.gif`, from the `<img>` in the HTML part. */
  readonly pixelPath: string;
  /** `/u/<token>`, from the `List-Unsubscribe` header's https URL (the RFC 8058 one-click target). */
  readonly unsubscribePath: string;
  /** `/p/<token>`, from the preference link in the HTML part. */
  readonly preferencesPath: string;
}

interface StoredMail {
  readonly destination: { readonly to: readonly string[] };
  readonly body: { readonly html?: string };
  readonly headers?: ReadonlyArray<{ readonly name: string; readonly value: string }>;
}

/** Sends one marketing mail to each recipient through `POST /v1/messages`, then reads its links from the local SES. */
export async function sendMarketing(
  api: AdminApi,
  sesEndpoint: string,
  template: string,
  recipients: readonly BenchRecipient[],
  parallel: number,
): Promise<MailedRecipient[]> {
  const messageIds = await mapLimit(recipients, parallel, async (r) => {
    const sent = await expectStatus(api('POST', '/v1/messages', { template, to: { recipientId: r.id } }), 202, 'send marketing mail');
    if (sent.status !== 'sent') throw new Error(`marketing mail to ${r.id} was not sent: ${JSON.stringify(sent)}`);
    return sent.messageId as string;
  });
  const res = await fetch(`${sesEndpoint}/store`, { signal: AbortSignal.timeout(30_000) });
  if (!res.ok) throw new Error(`local SES store answered ${res.status}`);
  const mails = ((await res.json()) as { emails: StoredMail[] }).emails;
  return recipients.map((r, i) => {
    const address = r.email.toLowerCase();
    const mail = mails.findLast((m) => m.destination.to.some((to) => to.toLowerCase().includes(address)));
    if (!mail) throw new Error(`no mail to ${r.email} in the local SES`);
    const pixel = /<img src="([^"]+\/o\/[^"]+\.gif)"/.exec(mail.body.html ?? '')?.[1];
    const listUnsubscribe = mail.headers?.find((h) => h.name.toLowerCase() === 'list-unsubscribe')?.value ?? '';
    const oneClick = /<(https?:[^>]+)>/.exec(listUnsubscribe)?.[1];
    const preferences = /href="([^"]+\/p\/[^"]+)"/.exec(mail.body.html ?? '')?.[1];
    if (!pixel || !oneClick || !preferences) throw new Error(`the mail to ${r.email} has no ${!pixel ? 'open pixel' : !oneClick ? 'List-Unsubscribe URL' : 'preference link'}`);
    return {
      ...r,
      messageId: messageIds[i] as string,
      pixelPath: new URL(pixel).pathname,
      unsubscribePath: new URL(oneClick).pathname,
      preferencesPath: new URL(preferences).pathname,
    };
  });
}

/**
 * The one-click unsubscribe path a marketing mail to `recipient` would carry, signed with the run's token keys by
 * the very function the send path uses (`buildLinks`), without sending the mail: each first unsubscribe needs a
 * recipient of its own, and sending hundreds of mails would take most of the bench's time. The message id is made
 * as the send path makes one (`newId`); `/u` does not look it up.
 */
export function signedUnsubscribePath(recipient: BenchRecipient, topic: string, tokenKeys: string, baseUrl: string): string {
  const links = buildLinks({
    baseUrl,
    keyring: parseKeyring(tokenKeys),
    recipientId: recipient.id,
    messageId: newId('msg'),
    class: 'marketing',
    topic,
    trackingAllowed: true,
    now: new Date(),
  });
  if (!links.oneClickUrl) throw new Error('buildLinks made no one-click URL for a marketing mail');
  return new URL(links.oneClickUrl).pathname;
}
