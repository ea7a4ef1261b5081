/**
 * The demo's recipients: every consent state the send rule knows, spread over several countries, as import rows
 * (JSON lines) plus the changes the import cannot carry (unsubscribe from all, suppressions). Pure: a run id and a
 * size in, rows out. Addresses and ids carry the run id, so the demo can run again on the same data.
 */

/** What the demo makes of one recipient, and so what each campaign should do with them. */
export type Cohort =
  | 'opted_in'
  | 'opted_out'
  | 'never_asked'
  | 'pending_confirmation'
  | 'unsubscribed_all'
  | 'complained'
  | 'hard_bounced'
  | 'ses_simulator';

export interface DemoRecipient {
  readonly email: string;
  readonly cohort: Cohort;
  readonly country: string;
  /** One line of the JSON-lines import. */
  readonly row: Record<string, unknown>;
}

export interface DemoPopulation {
  readonly run: string;
  readonly topic: string;
  readonly recipients: readonly DemoRecipient[];
  readonly byCohort: Readonly<Record<Cohort, number>>;
}

/** Share of the list in each cohort (the SES simulator addresses are counted apart, see {@link simulatorAddresses}). */
const SHARES: ReadonlyArray<readonly [Exclude<Cohort, 'ses_simulator'>, number]> = [
  ['opted_out', 0.12],
  ['never_asked', 0.12],
  ['pending_confirmation', 0.08],
  ['unsubscribed_all', 0.05],
  ['complained', 0.04],
  ['hard_bounced', 0.04],
];

/** Countries and how many of each cohort live there (round robin): the EU/UK ones need a confirmed opt-in. */
const COUNTRIES = ['US', 'DE', 'GB', 'FR', 'CA', 'BR', 'JP', 'AU', 'NL', 'IN'] as const;
/** Where an opt-in without confirmation stays `pending` (double opt-in). */
const DOUBLE_OPT_IN = ['DE', 'FR', 'NL', 'AT'] as const;
const LOCALES: Readonly<Record<string, string>> = { US: 'en-US', DE: 'de-DE', GB: 'en-GB', FR: 'fr-FR', CA: 'en-CA', BR: 'pt-BR', JP: 'ja-JP', AU: 'en-AU', NL: 'nl-NL', IN: 'en-IN', AT: 'de-AT' };
const FIRST_NAMES = ['Ada', 'Ben', 'Chiara', 'Dmitri', 'Elif', 'Femi', 'Grace', 'Hiro', 'Ines', 'Jonas', 'Kavya', 'Luis'];

/**
 * The SES mailbox simulator addresses (opted in, so both campaigns mail them): the local stack answers each with the
 * simulator's events, so deliveries and hard bounces show on the ops page. No `complaint@`: one complaint in a
 * thousand mails is past the complaint rate at which marketing pauses itself (0.09 %), and a demo that pauses its own
 * campaign shows the wrong thing.
 */
export function simulatorAddresses(run: string, size: number): string[] {
  const bounces = Math.max(2, Math.round(size / 1000) * 3);
  const others = ['success', 'success', 'ooto', 'suppressionlist'];
  return [
    ...Array.from({ length: bounces }, (_, i) => `bounce+demo-${run}-${i}@simulator.amazonses.com`),
    ...others.map((kind, i) => `${kind}+demo-${run}-${i}@simulator.amazonses.com`),
  ];
}

/** When the demo's opt-ins were given, with the evidence an import needs. */
const CONSENT_AT = '2026-01-15T10:00:00Z';
const optedIn = (confirmed: boolean) => ({
  status: 'opted_in',
  at: CONSENT_AT,
  ...(confirmed ? { confirmedAt: CONSENT_AT } : {}),
  source: 'signup_form',
  wording: 'demo-v1',
});

/**
 * `size` recipients for run `run`: the cohorts of {@link SHARES}, the SES simulator addresses, and everyone else
 * opted in (confirmed where their country asks for it).
 */
export function demoPopulation(run: string, size: number): DemoPopulation {
  const topic = `demo-news-${run}`;
  const simulator = simulatorAddresses(run, size);
  const plan: Cohort[] = [];
  for (const [cohort, share] of SHARES) for (let i = 0; i < Math.max(1, Math.round(size * share)); i++) plan.push(cohort);
  while (plan.length + simulator.length < size) plan.push('opted_in');

  const recipients: DemoRecipient[] = [];
  const counter: Partial<Record<Cohort, number>> = {};
  plan.forEach((cohort, i) => {
    const n = (counter[cohort] = (counter[cohort] ?? 0) + 1) - 1;
    // Pending confirmation only exists where double opt-in applies; everyone else round robin.
    const country = cohort === 'pending_confirmation' ? DOUBLE_OPT_IN[n % DOUBLE_OPT_IN.length]! : COUNTRIES[i % COUNTRIES.length]!;
    const email = `${cohort.replace(/_/g, '-')}.${n}.${run}@demo.example.com`;
    recipients.push({ email, cohort, country, row: row(email, country, i, run, consentFor(cohort, topic)) });
  });
  simulator.forEach((email, i) => recipients.push({ email, cohort: 'ses_simulator', country: 'US', row: row(email, 'US', i, run, { [topic]: optedIn(true) }) }));

  const byCohort = Object.fromEntries(
    (['opted_in', 'opted_out', 'never_asked', 'pending_confirmation', 'unsubscribed_all', 'complained', 'hard_bounced', 'ses_simulator'] as const).map((c) => [
      c,
      recipients.filter((r) => r.cohort === c).length,
    ]),
  ) as Record<Cohort, number>;
  return { run, topic, recipients, byCohort };
}

function consentFor(cohort: Cohort, topic: string): Record<string, unknown> | undefined {
  switch (cohort) {
    case 'never_asked':
      return undefined;
    case 'opted_out':
      return { [topic]: { ...optedIn(true), status: 'opted_out' } };
    case 'pending_confirmation':
      // An opt-in in a double opt-in country without its confirmation: stored `pending`, not in the audience.
      return { [topic]: optedIn(false) };
    default:
      // Opted in, confirmed; unsubscribed_all, complained and hard_bounced get their change after the import.
      return { [topic]: optedIn(true) };
  }
}

function row(email: string, country: string, i: number, run: string, consents: Record<string, unknown> | undefined): Record<string, unknown> {
  return {
    email,
    country,
    locale: LOCALES[country] ?? 'en-US',
    attributes: { first_name: FIRST_NAMES[i % FIRST_NAMES.length], demo_run: run },
    ...(consents ? { consents } : {}),
  };
}
