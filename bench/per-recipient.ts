/**
 * The per-recipient work of a marketing send — decide, sign the tokens, compose, build the SES v2 request — measured
 * against the cost of building the same mail as raw MIME with nodemailer's MailComposer, in the same run.
 *
 * Sendwell never builds MIME itself: it hands SES v2 `Content.Simple` with the rendered parts and the
 * List-Unsubscribe headers, and SES writes the MIME. So "our MIME step" is `composeMessage` plus building the
 * `SendEmailCommand` input; the baseline is what a sender that writes MIME itself spends per mail.
 *
 * Not measured: reading recipients (DynamoDB), parsing them with zod, and the SES call itself (nothing is sent).
 */
import { createHmac, createSecretKey } from 'node:crypto';
import { createRequire } from 'node:module';
import os from 'node:os';
import { SendEmailCommand } from '@aws-sdk/client-sesv2';
import { type ComposedMessage, type ComposeLinks, composeMessage } from '../lambdas/domain/compose.ts';
import { type DecisionMessage, decide, trackingAllowed } from '../lambdas/domain/decide.ts';
import { signToken, type TokenPayload, type TokenPurpose, verifyToken } from '../lambdas/domain/tokens.ts';
import {
  buildPopulation,
  FROM,
  KEYRING,
  NOW,
  POSTAL_ADDRESS,
  PUBLIC_BASE_URL,
  type SyntheticRecipient,
  TEMPLATE,
  templateData,
  TOPIC,
} from './fixtures.ts';
import { format, formatTable, gcBetweenRounds, type Measurement, measure, perRecipient, type Scenario, tableCells } from './harness.ts';
import { buildMime, type MailOptions, nodemailerVersion } from './mail-composer.ts';
import { type BenchSection, markdownTable } from './report.ts';

export interface PerRecipientOptions {
  readonly recipients: number;
  /** Timed rounds per scenario (the median is reported). */
  readonly rounds: number;
  readonly warmupRounds: number;
  readonly seed: number;
  /** Stop starting timed rounds once the whole run would pass this many seconds (never below 3 rounds). */
  readonly budgetSeconds?: number;
}

const MESSAGE: DecisionMessage = { class: 'marketing', topic: TOPIC };
const ISSUED_AT = Math.floor(NOW.getTime() / 1000);
const CONFIGURATION_SET = 'sendwell-bench';
const UNSUBSCRIBE_MAILBOX = 'unsubscribe@mail.sendwell.example';
// Passes per round for the steps too quick to time in one pass over the list (see Scenario.passes).
const DECIDE_PASSES = 50;
const SES_PASSES = 20;
const HMAC_PASSES = 2;

const sign = (r: SyntheticRecipient, purpose: TokenPurpose, extra: Partial<TokenPayload> = {}): string =>
  signToken({ purpose, recipientId: r.recipientId, issuedAt: ISSUED_AT, ...extra }, KEYRING);

const clickUrlFor = (r: SyntheticRecipient) => (linkIndex: number) =>
  `${PUBLIC_BASE_URL}/c/${sign(r, 'click', { messageId: r.messageId, linkIndex })}`;

/**
 * The links one mail needs, each with its own signed token: one unsubscribe token serves the footer link, the
 * one-click `List-Unsubscribe` URL and the mailto subject; open and click tokens only where tracking is allowed.
 * Click tokens are signed as `composeMessage` finds the links (it alone knows which links are tracked).
 */
function signedLinks(r: SyntheticRecipient, tracking: boolean): ComposeLinks {
  const unsubscribe = sign(r, 'unsubscribe', { topic: TOPIC });
  const unsubscribeUrl = `${PUBLIC_BASE_URL}/u/${unsubscribe}`;
  const links: ComposeLinks = {
    preferencesUrl: `${PUBLIC_BASE_URL}/p/${sign(r, 'preferences')}`,
    unsubscribeUrl,
    oneClickUrl: unsubscribeUrl,
    mailtoUnsubscribe: `mailto:${UNSUBSCRIBE_MAILBOX}?subject=${unsubscribe}`,
  };
  if (!tracking) return links;
  return { ...links, pixelUrl: `${PUBLIC_BASE_URL}/o/${sign(r, 'open', { messageId: r.messageId })}.gif`, clickUrl: clickUrlFor(r) };
}

function compose(r: SyntheticRecipient, links: ComposeLinks, tracking: boolean): ComposedMessage {
  return composeMessage({
    template: TEMPLATE,
    data: templateData(r),
    recipient: { address: r.address },
    links,
    trackingAllowed: tracking,
    postalAddress: POSTAL_ADDRESS,
    from: FROM,
  });
}

/** The SES v2 request Sendwell would send: structured Simple content, SES writes the MIME. Built, never sent. */
function sesRequest(m: ComposedMessage, r: SyntheticRecipient): SendEmailCommand {
  const utf8 = (Data: string) => ({ Data, Charset: 'UTF-8' });
  return new SendEmailCommand({
    FromEmailAddress: m.from,
    Destination: { ToAddresses: [m.to] },
    Content: {
      Simple: {
        Subject: utf8(m.subject),
        Body: { Html: utf8(m.html), Text: utf8(m.text) },
        Headers: m.headers.map((h) => ({ Name: h.name, Value: h.value })),
      },
    },
    ConfigurationSetName: CONFIGURATION_SET,
    EmailTags: [
      { Name: 'message_id', Value: r.messageId },
      { Name: 'topic', Value: TOPIC },
    ],
  });
}

/** What the checksum reads off a request: enough of it that none of the work can be skipped. */
function requestWeight(c: SendEmailCommand): number {
  const simple = c.input.Content?.Simple;
  return (simple?.Body?.Html?.Data?.length ?? 0) + (simple?.Body?.Text?.Data?.length ?? 0) + (simple?.Headers?.length ?? 0);
}

/** The whole per-recipient path. Returns the request for a send, `undefined` for a hold. */
function processRecipient(r: SyntheticRecipient): SendEmailCommand | undefined {
  if (decide(r.state, MESSAGE, NOW).action === 'hold') return undefined;
  const tracking = trackingAllowed(r.state);
  return sesRequest(compose(r, signedLinks(r, tracking), tracking), r);
}

function pipeline(recipients: readonly SyntheticRecipient[]): number {
  let sum = 0;
  for (const r of recipients) {
    const request = processRecipient(r);
    sum += request === undefined ? 1 : requestWeight(request);
  }
  return sum;
}

/** Every token one sent mail carries, signed eagerly: what the `sign` step times. */
function signAll(r: SyntheticRecipient, tracking: boolean, trackedLinks: number): string[] {
  const tokens = [sign(r, 'unsubscribe', { topic: TOPIC }), sign(r, 'preferences')];
  if (tracking) {
    tokens.push(sign(r, 'open', { messageId: r.messageId }));
    for (let i = 0; i < trackedLinks; i++) tokens.push(sign(r, 'click', { messageId: r.messageId, linkIndex: i }));
  }
  return tokens;
}

/** Runs `pass` `passes` times; the checksum is their sum. */
function repeat(passes: number, pass: () => number): number {
  let sum = 0;
  for (let k = 0; k < passes; k++) sum += pass();
  return sum;
}

// The MAC exactly as tokens.ts computes it (context string, SHA-256, 128 bits, base64url), to show what share of
// signing is the HMAC itself, and what the same MAC costs with the key imported once as a KeyObject.
const MAC_CONTEXT = 'sendwell-token.v1.';
const RAW_KEY = KEYRING.keys[KEYRING.current] as string;
const KEY_OBJECT = createSecretKey(Buffer.from(RAW_KEY));
const macRawKey = (body: string) =>
  createHmac('sha256', Buffer.from(RAW_KEY)).update(MAC_CONTEXT + body).digest().subarray(0, 16).toString('base64url');
const macKeyObject = (body: string) =>
  createHmac('sha256', KEY_OBJECT).update(MAC_CONTEXT + body).digest().subarray(0, 16).toString('base64url');

function toMailOptions(m: ComposedMessage): MailOptions {
  return {
    from: m.from,
    to: m.to,
    subject: m.subject,
    html: m.html,
    text: m.text,
    headers: Object.fromEntries(m.headers.map((h) => [h.name, h.value])),
  };
}

function packageVersion(name: string): string {
  const require = createRequire(import.meta.url);
  return (require(`${name}/package.json`) as { version: string }).version;
}

/**
 * Checks the population and the pipeline do what the labels say before anything is timed: a benchmark of a
 * pipeline that holds the wrong people or drops a header would print a fast, meaningless figure.
 */
function prepare(population: readonly SyntheticRecipient[]) {
  const sendable: SyntheticRecipient[] = [];
  const holds = new Map<string, number>();
  for (const r of population) {
    const d = decide(r.state, MESSAGE, NOW);
    const got = d.action === 'hold' ? d.reason : d.action;
    if (got !== r.expected) throw new Error(`fixture "${r.profile}" expected ${r.expected}, decide said ${got}`);
    if (d.action === 'send') sendable.push(r);
    else if (d.action === 'hold') holds.set(d.reason, (holds.get(d.reason) ?? 0) + 1);
  }
  if (sendable.length === 0) throw new Error('no sendable recipient in the population; use more --recipients');

  // Pre-signed links and composed mails for the steps that time one stage alone.
  const signed = sendable.map((r) => {
    const tracking = trackingAllowed(r.state);
    const lazy = signedLinks(r, tracking);
    const composed = compose(r, lazy, tracking);
    const clicks = composed.links.map((_, i) => clickUrlFor(r)(i));
    const links: ComposeLinks = tracking ? { ...lazy, clickUrl: (i) => clicks[i] ?? '' } : lazy;
    return { r, tracking, links, composed };
  });

  let tokens = 0;
  let trackedLinks = 0;
  for (const { r, tracking, links, composed } of signed) {
    const names = new Set(composed.headers.map((h) => h.name));
    if (!names.has('List-Unsubscribe') || !names.has('List-Unsubscribe-Post')) throw new Error('unsubscribe headers missing');
    if (composed.missing.length > 0) throw new Error(`template variables missing: ${composed.missing.join(', ')}`);
    if (tracking !== composed.links.length > 0) throw new Error(`click tracking wrong for ${r.profile}`);
    trackedLinks = Math.max(trackedLinks, composed.links.length);
    tokens += tracking ? 3 + composed.links.length : 2;
    const token = (links.unsubscribeUrl ?? '').split('/u/')[1];
    if (!verifyToken(token, 'unsubscribe', KEYRING, NOW).ok) throw new Error('unsubscribe token does not verify');
    if (tracking) {
      const click = composed.html.match(/\/c\/([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)"/)?.[1];
      if (!verifyToken(click, 'click', KEYRING, NOW).ok) throw new Error('click token does not verify');
    }
  }
  // The token bodies (everything before the dot) of every token the sent mails carry, for the HMAC-only rows.
  const bodies = signed.flatMap(({ r, tracking }) => signAll(r, tracking, trackedLinks).map((t) => t.split('.')[0] ?? ''));
  const sample = bodies[0] ?? '';
  if (`${sample}.${macRawKey(sample)}` !== sign(sendable[0] as SyntheticRecipient, 'unsubscribe', { topic: TOPIC })) {
    throw new Error('the HMAC rows no longer compute the MAC tokens.ts computes; update MAC_CONTEXT or the MAC here');
  }
  if (macKeyObject(sample) !== macRawKey(sample)) throw new Error('KeyObject MAC differs from the raw-key MAC');
  const composedMails = signed.map((s) => s.composed);
  return { sendable, holds, signed, tokens, trackedLinks, bodies, composedMails, mailOptions: composedMails.map(toMailOptions) };
}

export async function runPerRecipientBench(options: PerRecipientOptions): Promise<BenchSection> {
  const started = performance.now();
  const population = buildPopulation(options.recipients, options.seed);
  const p = prepare(population);
  const sent = p.sendable.length;
  const held = population.length - sent;
  const sampleMime = await buildMime(p.mailOptions[0] as MailOptions);
  const avg = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / values.length;
  /** One HMAC row: every token body of the sent mails, {@link HMAC_PASSES} times, with `mac`. */
  const hmacRow = (name: string, mac: (body: string) => string): Scenario => ({
    name,
    recipients: sent,
    passes: HMAC_PASSES,
    deterministic: true,
    run: () =>
      repeat(HMAC_PASSES, () => {
        let chars = 0;
        for (const body of p.bodies) chars += mac(body).length;
        return chars;
      }),
  });

  const baseline: Scenario = {
    name: `baseline: MailComposer raw MIME (nodemailer ${nodemailerVersion})`,
    recipients: sent,
    deterministic: false, // random boundaries and Message-IDs; sizes may differ by a byte or two
    run: async () => {
      let bytes = 0;
      for (const mail of p.mailOptions) bytes += (await buildMime(mail)).length;
      return bytes;
    },
  };
  const scenarios: Scenario[] = [
    baseline,
    {
      name: 'sendwell pipeline, mixed list (decide→sign→compose→SES input)',
      recipients: population.length,
      sent,
      held,
      deterministic: true,
      run: () => pipeline(population),
    },
    { name: 'sendwell pipeline, sendable only', recipients: sent, sent, held: 0, deterministic: true, run: () => pipeline(p.sendable) },
    {
      name: 'step: decide only (mixed list)',
      recipients: population.length,
      sent,
      held,
      passes: DECIDE_PASSES,
      deterministic: true,
      run: () =>
        repeat(DECIDE_PASSES, () => {
          let sends = 0;
          for (const r of population) if (decide(r.state, MESSAGE, NOW).action === 'send') sends++;
          return sends;
        }),
    },
    {
      name: `step: sign only (${format.one.format(p.tokens / sent)} tokens/mail)`,
      recipients: sent,
      deterministic: true,
      run: () => {
        let chars = 0;
        for (const { r, tracking } of p.signed) for (const t of signAll(r, tracking, p.trackedLinks)) chars += t.length;
        return chars;
      },
    },
    hmacRow('  of which HMAC-SHA256 (raw key on every call)', macRawKey),
    hmacRow('  same HMACs, key as a KeyObject (as tokens.ts does)', macKeyObject),
    {
      name: 'step: compose only (links pre-signed)',
      recipients: sent,
      deterministic: true,
      run: () => {
        let chars = 0;
        for (const { r, tracking, links } of p.signed) chars += compose(r, links, tracking).html.length;
        return chars;
      },
    },
    {
      name: 'step: SES SendEmailCommand input only',
      recipients: sent,
      passes: SES_PASSES,
      deterministic: true,
      run: () =>
        repeat(SES_PASSES, () => {
          let weight = 0;
          for (const { r, composed } of p.signed) weight += requestWeight(sesRequest(composed, r));
          return weight;
        }),
    },
  ];

  const cpus = os.cpus();
  // Everything printed is also kept for the section of docs/BENCHMARKS.md.
  const printed: string[] = [];
  const log = (line: string) => {
    console.log(line);
    printed.push(line);
  };
  log('Sendwell per-recipient benchmark');
  log(
    `node ${process.version} · ${cpus[0]?.model ?? 'unknown CPU'} · ${os.availableParallelism()} cores · ` +
      `${os.platform()} ${os.arch()} · load average ${os.loadavg()[0]?.toFixed(2)} at start`,
  );
  log(
    `@aws-sdk/client-sesv2 ${packageVersion('@aws-sdk/client-sesv2')} · nodemailer ${nodemailerVersion} · ` +
      `seed ${options.seed} · ${options.warmupRounds} warm-up rounds, then timed rounds interleaved` +
      `${gcBetweenRounds ? ', full GC before each round' : ''}`,
  );
  log(
    `template: ${format.integer.format(Buffer.byteLength(TEMPLATE.html))} B HTML, ${format.integer.format(Buffer.byteLength(TEMPLATE.text))} B text, ` +
      `${p.trackedLinks} tracked links · composed HTML avg ${format.integer.format(avg(p.composedMails.map((m) => Buffer.byteLength(m.html))))} B · ` +
      `one mail as raw MIME ${format.integer.format(sampleMime.length)} B`,
  );
  const reasons = [...p.holds.entries()].sort((a, b) => b[1] - a[1]).map(([reason, n]) => `${reason} ${n}`);
  const trackedMails = p.signed.filter((s) => s.tracking).length;
  log(
    `recipients: ${format.integer.format(population.length)} · sent ${format.integer.format(sent)} ` +
      `(${format.integer.format(trackedMails)} with open/click tracking) · held ${format.integer.format(held)} (${reasons.join(', ')})`,
  );
  log('');

  const deadline = options.budgetSeconds === undefined ? undefined : started + options.budgetSeconds * 1000;
  const { measurements: results, rounds } = await measure(scenarios, { ...options, deadline });
  const base = results[0] as Measurement;
  log(formatTable(results, base));
  log('');
  log(
    `median of ${rounds} timed rounds per scenario` +
      (rounds < options.rounds
        ? ` (${options.rounds} asked; cut to stay within ~${options.budgetSeconds} s: the machine is slow or busy, ` +
          'pass --rounds to insist)'
        : ''),
  );

  const micros = (name: string) => perRecipient(results.find((m) => m.scenario.name.startsWith(name)) as Measurement).micros;
  // Decide runs for every recipient but is timed over the mixed list; the other steps are per sent mail.
  const stepsPerMail = micros('step: decide') + micros('step: sign') + micros('step: compose') + micros('step: SES');
  log(
    `steps per sent mail add up to ${format.one.format(stepsPerMail)} µs; the sendable-only pipeline measured ` +
      `${format.one.format(micros('sendwell pipeline, sendable only'))} µs.`,
  );
  log(
    '× baseline = µs/recipient of the row ÷ µs/recipient of the MailComposer row (same run). Compare rows of one run, ' +
      'never figures across machines.',
  );
  log(`total bench time ${format.one.format((performance.now() - started) / 1000)} s`);
  const { header, rows } = tableCells(results, base);
  const tableAt = printed.indexOf(formatTable(results, base));
  const markdown = [
    'For each recipient of a marketing send: decide → sign tokens → compose → build the SES request (never sent), against',
    'the baseline of writing the same mail as raw MIME with nodemailer\'s MailComposer, same run.',
    '',
    ...printed.slice(1, tableAt).filter((l) => l !== '').map((l) => `- ${l}`),
    '',
    markdownTable(header, rows),
    '',
    ...printed.slice(tableAt + 1).filter((l) => l !== '').map((l) => `- ${l}`),
  ].join('\n');
  return { title: 'Per-recipient send path (`npm run bench -- --only per-recipient`)', markdown };
}
