import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type DecisionMessage,
  decide,
  HOLD_REASONS,
  type HoldReason,
  type RecipientState,
  sharingAllowed,
  type Suppression,
  SUPPRESSION_REASONS,
  trackingAllowed,
} from '../../../lambdas/domain/decide.ts';
import { RecipientStateSchema, SuppressionSchema } from '../../../lambdas/schemas/decision.ts';

const NOW = new Date('2025-06-01T12:00:00Z');
const PAST = '2025-05-01T00:00:00Z';
const FUTURE = '2025-07-01T00:00:00Z';

const state = (s: Partial<RecipientState>): RecipientState => RecipientStateSchema.parse(s);
const service: DecisionMessage = { class: 'service' };
const news: DecisionMessage = { class: 'marketing', topic: 'news' };
const send = { action: 'send' };
const hold = (reason: HoldReason) => ({ action: 'hold', reason });

const optedIn = { status: 'opted_in', confirmedAt: PAST } as const;
const bounce: Suppression = { reason: 'hard_bounce', scope: 'all' };
const complaint: Suppression = { reason: 'complaint', scope: 'marketing' };
const manualAll: Suppression = { reason: 'manual', scope: 'all' };
const manualMarketing: Suppression = { reason: 'manual', scope: 'marketing' };
const tombstone: Suppression = { reason: 'erased', scope: 'all' };
const softBounce: Suppression = { reason: 'soft_bounce', scope: 'marketing', expiresAt: '2999-01-01T00:00:00.000Z' };

describe('decide: the table in DESIGN.md, row by row', () => {
  // [row, recipient, service outcome, marketing (topic `news`) outcome]
  const rows: [string, RecipientState, object, object][] = [
    ['opted in, confirmed (strict zone)', state({ country: 'DE', consents: { news: optedIn } }), send, send],
    ['opted in, no confirmation needed (standard zone)', state({ country: 'US', consents: { news: { status: 'opted_in' } } }), send, send],
    ['never opted in to the topic', state({ country: 'US' }), send, hold('not_opted_in')],
    ['opted in to another topic only', state({ country: 'US', consents: { offers: optedIn } }), send, hold('not_opted_in')],
    ['opt-in pending (strict zone)', state({ country: 'FR', consents: { news: { status: 'pending' } } }), send, hold('pending_confirmation')],
    ['opt-in pending (standard zone)', state({ country: 'US', consents: { news: { status: 'pending' } } }), send, hold('pending_confirmation')],
    ['opted in but unconfirmed where double opt-in applies', state({ country: 'DE', consents: { news: { status: 'opted_in' } } }), send, hold('pending_confirmation')],
    ['opted in but unconfirmed, country unknown (strict)', state({ consents: { news: { status: 'opted_in' } } }), send, hold('pending_confirmation')],
    ['opted out of the topic', state({ country: 'US', consents: { news: { status: 'opted_out' } } }), send, hold('opted_out')],
    ['unsubscribed from all marketing', state({ country: 'US', unsubscribedAll: true, consents: { news: optedIn } }), send, hold('unsubscribed_all')],
    ['spam complaint on record', state({ country: 'US', consents: { news: optedIn }, suppressions: [complaint] }), send, hold('complained')],
    ['hard bounce on record', state({ country: 'US', consents: { news: optedIn }, suppressions: [bounce] }), hold('undeliverable'), hold('undeliverable')],
    ['erased', state({ erased: true }), hold('erased'), hold('erased')],
    ['erased, only the tombstone record left', state({ suppressions: [tombstone] }), hold('erased'), hold('erased')],
    ['manual suppression of marketing', state({ country: 'US', consents: { news: optedIn }, suppressions: [manualMarketing] }), send, hold('suppressed')],
    ['manual suppression of all mail (address declared dead)', state({ country: 'US', consents: { news: optedIn }, suppressions: [manualAll] }), hold('undeliverable'), hold('undeliverable')],
  ];

  it.each(rows)('%s', (_row, recipient, serviceOutcome, marketingOutcome) => {
    expect(decide(recipient, service, NOW)).toEqual(serviceOutcome);
    expect(decide(recipient, news, NOW)).toEqual(marketingOutcome);
  });

  it('erased: service mail goes out only when the caller supplies the address again', () => {
    for (const erased of [state({ erased: true }), state({ suppressions: [tombstone] })]) {
      expect(decide(erased, { class: 'service', addressSuppliedByCaller: true }, NOW)).toEqual(send);
      expect(decide(erased, { class: 'service', addressSuppliedByCaller: false }, NOW)).toEqual(hold('erased'));
      expect(decide(erased, { ...news, addressSuppliedByCaller: true }, NOW)).toEqual(hold('erased'));
    }
  });

  it('erased with a supplied address still does not reach a mailbox that bounced', () => {
    const r = state({ erased: true, suppressions: [bounce] });
    expect(decide(r, { class: 'service', addressSuppliedByCaller: true }, NOW)).toEqual(hold('undeliverable'));
  });

  it('a marketing message without a topic has no consent to find', () => {
    const r = state({ country: 'US', consents: { news: optedIn } });
    expect(decide(r, { class: 'marketing' }, NOW)).toEqual(hold('not_opted_in'));
  });

  it('service mail ignores its topic, if it has one', () => {
    const r = state({ country: 'US', consents: { news: { status: 'opted_out' } } });
    expect(decide(r, { class: 'service', topic: 'news' }, NOW)).toEqual(send);
  });

  it('finds only own topics: `constructor` or `__proto__` are not consents', () => {
    const r = state({ country: 'US' });
    for (const topic of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      expect(decide(r, { class: 'marketing', topic }, NOW)).toEqual(hold('not_opted_in'));
    }
    // An own `__proto__` key is a topic like any other to `decide`; the schema drops it, which only ever holds mail.
    const consents = Object.fromEntries([['__proto__', optedIn]]);
    const topic = { class: 'marketing', topic: '__proto__' } as const;
    expect(decide({ ...state({ country: 'US' }), consents }, topic, NOW)).toEqual(send);
    expect(decide(state({ country: 'US', consents }), topic, NOW)).toEqual(hold('not_opted_in'));
  });
});

describe('decide: precedence when several reasons apply', () => {
  const everything = state({
    erased: true,
    unsubscribedAll: true,
    consents: { news: { status: 'opted_out' } },
    suppressions: [complaint, bounce, manualMarketing, softBounce],
  });
  const paused = { marketingPaused: true };

  it('reports reasons in HOLD_REASONS order, removing one at a time', () => {
    const steps: [Partial<RecipientState>, HoldReason][] = [
      [{}, 'erased'],
      [{ erased: false }, 'undeliverable'],
      [{ suppressions: [complaint, manualMarketing, softBounce] }, 'complained'],
      [{ suppressions: [manualMarketing, softBounce] }, 'suppressed'],
      [{ suppressions: [softBounce] }, 'bouncing'],
      [{ suppressions: [] }, 'unsubscribed_all'],
      [{ unsubscribedAll: false }, 'opted_out'],
      [{ consents: { news: { status: 'pending' } } }, 'pending_confirmation'],
      [{ consents: {} }, 'not_opted_in'],
      [{ consents: { news: optedIn } }, 'frequency_capped'],
      [{}, 'marketing_paused'],
    ];
    // Over a cap of 1 in 7 days until the last step, which lifts the cap and leaves only the pause.
    const capped = { ...paused, timing: { timeZone: 'UTC', stageCap: { max: 1, days: 7 }, marketingSentAt: [NOW.getTime() - 86_400_000] } };
    let r = everything;
    const seen: HoldReason[] = [];
    for (const [change, reason] of steps) {
      r = { ...r, ...change };
      expect(decide(r, news, NOW, reason === 'marketing_paused' ? paused : capped)).toEqual(hold(reason));
      seen.push(reason);
    }
    expect(seen).toEqual([...HOLD_REASONS]);
    expect(decide(r, news, NOW)).toEqual(send);
  });

  it('a pause holds only marketing that would have gone out; service mail never', () => {
    const jane = state({ country: 'US', consents: { news: optedIn } });
    expect(decide(jane, news, NOW, paused)).toEqual(hold('marketing_paused'));
    expect(decide(jane, news, NOW, { marketingPaused: false })).toEqual(send);
    expect(decide(jane, service, NOW, paused)).toEqual(send);
    expect(decide({ ...jane, suppressions: [bounce] }, service, NOW, paused)).toEqual(hold('undeliverable'));
  });

  it('repeated soft bounces hold marketing until the suppression expires, never service mail', () => {
    const jane = state({ country: 'US', consents: { news: optedIn }, suppressions: [{ ...softBounce, expiresAt: FUTURE }] });
    expect(decide(jane, news, NOW)).toEqual(hold('bouncing'));
    expect(decide(jane, service, NOW)).toEqual(send);
    expect(decide({ ...jane, suppressions: [{ ...softBounce, expiresAt: PAST }] }, news, NOW)).toEqual(send);
  });

  it('service mail: erased before undeliverable', () => {
    expect(decide(everything, service, NOW)).toEqual(hold('erased'));
    expect(decide({ ...everything, erased: false }, service, NOW)).toEqual(hold('undeliverable'));
    expect(decide({ ...everything, erased: false, suppressions: [complaint, manualMarketing] }, service, NOW)).toEqual(send);
  });
});

describe('decide: suppressions that expire', () => {
  const r = (s: Suppression) => state({ country: 'US', consents: { news: optedIn }, suppressions: [s] });

  it('applies until expiresAt and not from then on', () => {
    expect(decide(r({ ...bounce, expiresAt: FUTURE }), service, NOW)).toEqual(hold('undeliverable'));
    expect(decide(r({ ...bounce, expiresAt: PAST }), service, NOW)).toEqual(send);
    expect(decide(r({ ...complaint, expiresAt: PAST }), news, NOW)).toEqual(send);
    expect(decide(r({ ...bounce, expiresAt: NOW.toISOString() }), service, NOW)).toEqual(send);
  });

  it('stays in force when the date cannot be read or the clock is broken', () => {
    // Past the schema only by a bug elsewhere; even then the suppression holds.
    const unreadable = { ...state({ country: 'US' }), suppressions: [{ ...bounce, expiresAt: 'not a date' }] };
    expect(decide(unreadable, service, NOW)).toEqual(hold('undeliverable'));
    expect(decide(r({ ...bounce, expiresAt: PAST }), service, new Date(Number.NaN))).toEqual(hold('undeliverable'));
  });
});

describe('RecipientStateSchema and SuppressionSchema', () => {
  it('fills defaults for a bare recipient', () => {
    expect(RecipientStateSchema.parse({})).toEqual({ consents: {}, unsubscribedAll: false, suppressions: [], erased: false });
  });

  it.each([
    [{ reason: 'complaint', scope: 'all' }],
    [{ reason: 'hard_bounce', scope: 'marketing' }],
    [{ reason: 'erased', scope: 'marketing' }],
    [{ reason: 'soft_bounce', scope: 'all' }],
    [{ reason: 'manual', scope: 'service' }],
    [{ reason: 'manual', scope: 'all', expiresAt: 'tomorrow' }],
  ])('refuses the suppression %j: the rule could not honour it', (s) => {
    expect(SuppressionSchema.safeParse(s).success).toBe(false);
  });

  it('refuses an unknown consent status', () => {
    expect(RecipientStateSchema.safeParse({ consents: { news: { status: 'maybe' } } }).success).toBe(false);
  });
});

describe('trackingAllowed and sharingAllowed', () => {
  it.each([
    [{ country: 'US' }, true, true],
    [{ country: 'DE' }, false, false],
    [{}, false, false],
    [{ country: 'DE', tracking: true, doNotSell: false }, true, true],
    [{ country: 'US', tracking: false, doNotSell: true }, false, false],
    [{ country: 'US', erased: true }, false, false],
    [{ country: 'US', erased: true, tracking: true, doNotSell: false }, false, false],
  ])('%j → tracking %s, sharing %s', (r, tracking, sharing) => {
    expect(trackingAllowed(state(r))).toBe(tracking);
    expect(sharingAllowed(state(r))).toBe(sharing);
  });
});

// ---- properties over random recipients ----

const TOPICS = ['news', 'offers', 'constructor', '__proto__'] as const;
const STRICT_COUNTRIES = new Set(['DE', 'GB', 'CH']);
const rare = fc.constantFrom(false, false, false, true);
const expiry = fc.constantFrom(undefined, undefined, PAST, FUTURE);

const suppressionArb: fc.Arbitrary<Suppression> = fc
  .tuple(
    fc.constantFrom<Suppression['reason']>('hard_bounce', 'complaint', 'manual', 'erased', 'soft_bounce'),
    fc.constantFrom<'all' | 'marketing'>('all', 'marketing'),
    expiry,
  )
  .map(([reason, scope, expiresAt]) => {
    const fixedScope = reason === 'manual' ? scope : reason === 'complaint' || reason === 'soft_bounce' ? 'marketing' : 'all';
    return SuppressionSchema.parse({ reason, scope: fixedScope, ...(expiresAt === undefined ? {} : { expiresAt }) });
  });

const recipientArb: fc.Arbitrary<RecipientState> = fc
  .record({
    country: fc.constantFrom('DE', 'GB', 'CH', 'US', 'BR', undefined, null, 'ZZ'),
    consents: fc
      .array(
        fc.tuple(
          fc.constantFrom(...TOPICS),
          fc.record({
            status: fc.constantFrom('opted_in', 'opted_in', 'opted_out', 'pending'),
            confirmedAt: fc.constantFrom(undefined, PAST),
          }),
        ),
        { maxLength: 4 },
      )
      .map((entries) => Object.fromEntries(entries)),
    unsubscribedAll: rare,
    suppressions: fc.oneof(fc.constant([]), fc.array(suppressionArb, { maxLength: 3 })),
    erased: rare,
    tracking: fc.constantFrom(undefined, true, false),
    doNotSell: fc.constantFrom(undefined, true, false),
  })
  .map((raw) => RecipientStateSchema.parse(raw));

const messageArb: fc.Arbitrary<DecisionMessage> = fc.record({
  class: fc.constantFrom('service', 'marketing'),
  topic: fc.constantFrom(undefined, 'other', ...TOPICS),
  addressSuppliedByCaller: fc.constantFrom(undefined, true, false),
});

const isActive = (s: Suppression) => s.expiresAt === undefined || Date.parse(s.expiresAt) > NOW.getTime();
const ownConsent = (r: RecipientState, topic: string | undefined) =>
  topic !== undefined && Object.hasOwn(r.consents, topic) ? r.consents[topic] : undefined;
const strict = (r: RecipientState) => r.country == null || r.country === 'ZZ' || STRICT_COUNTRIES.has(r.country);
const isErased = (r: RecipientState) => r.erased || r.suppressions.some((s) => s.reason === 'erased' && isActive(s));
const cannotReceive = (r: RecipientState) => r.suppressions.some((s) => isActive(s) && s.scope === 'all' && s.reason !== 'erased');

describe('decide: properties', () => {
  it('(a) marketing goes out exactly when there is a confirmed-where-required opt-in to that topic and nothing stops it', () => {
    fc.assert(
      fc.property(recipientArb, messageArb, (r, m) => {
        fc.pre(m.class === 'marketing');
        const consent = ownConsent(r, m.topic);
        const allowed =
          consent?.status === 'opted_in' &&
          (consent.confirmedAt !== undefined || !strict(r)) &&
          !r.unsubscribedAll &&
          !r.erased &&
          !r.suppressions.some(isActive); // any suppression, of any reason or scope, stops marketing
        expect(decide(r, m, NOW).action).toBe(allowed ? 'send' : 'hold');
      }),
      { numRuns: 3000 },
    );
  });

  it('(b) service mail is held only as undeliverable, or as erased when the address was not supplied again', () => {
    fc.assert(
      fc.property(recipientArb, messageArb, (r, m) => {
        fc.pre(m.class === 'service');
        const d = decide(r, m, NOW);
        const expected =
          isErased(r) && m.addressSuppliedByCaller !== true ? hold('erased') : cannotReceive(r) ? hold('undeliverable') : send;
        expect(d).toEqual(expected);
      }),
      { numRuns: 3000 },
    );
  });

  it('(b) nothing about consent, complaints or marketing suppressions changes a service decision', () => {
    fc.assert(
      fc.property(recipientArb, recipientArb, messageArb, (r, other, m) => {
        const svc = { ...m, class: 'service' as const };
        const changed: RecipientState = {
          ...other, // another person's country, consents, unsubscribe-all, tracking and do-not-sell
          erased: r.erased,
          suppressions: [
            ...r.suppressions.filter((s) => s.scope === 'all'),
            ...other.suppressions.filter((s) => s.scope === 'marketing'),
          ],
        };
        expect(decide(changed, svc, NOW)).toEqual(decide(r, svc, NOW));
      }),
    );
  });

  it('a hold reports the highest-precedence reason that applies', () => {
    fc.assert(
      fc.property(recipientArb, messageArb, fc.boolean(), (r, m, marketingPaused) => {
        fc.pre(m.class === 'marketing');
        const consent = ownConsent(r, m.topic);
        const applies: Record<HoldReason, boolean> = {
          erased: isErased(r),
          undeliverable: cannotReceive(r),
          complained: r.suppressions.some((s) => isActive(s) && s.reason === 'complaint'),
          suppressed: r.suppressions.some((s) => isActive(s) && s.reason === 'manual' && s.scope === 'marketing'),
          bouncing: r.suppressions.some((s) => isActive(s) && s.reason === 'soft_bounce'),
          unsubscribed_all: r.unsubscribedAll,
          opted_out: consent?.status === 'opted_out',
          pending_confirmation:
            consent?.status === 'pending' || (consent?.status === 'opted_in' && consent.confirmedAt === undefined && strict(r)),
          not_opted_in: consent === undefined,
          // No timing context here: caps are tested in delivery-timing.test.ts.
          frequency_capped: false,
          marketing_paused: marketingPaused,
        };
        const first = HOLD_REASONS.find((reason) => applies[reason]);
        expect(decide(r, m, NOW, { marketingPaused })).toEqual(first === undefined ? send : hold(first));
      }),
      { numRuns: 3000 },
    );
  });

  it('(c) is deterministic and does not touch its input', () => {
    fc.assert(
      fc.property(recipientArb, messageArb, (r, m) => {
        const frozen = deepFreeze(structuredClone(r));
        const first = decide(frozen, m, NOW);
        expect(decide(frozen, m, new Date(NOW))).toEqual(first);
        expect(frozen).toEqual(r);
      }),
    );
  });

  it('(c) a marketing decision depends on no topic but its own', () => {
    fc.assert(
      fc.property(recipientArb, recipientArb, (r, other) => {
        const { news: _, ...othersOnly } = other.consents;
        const own = r.consents.news;
        const consents = Object.hasOwn(r.consents, 'news') && own !== undefined ? { ...othersOnly, news: own } : othersOnly;
        expect(decide({ ...r, consents }, news, NOW)).toEqual(decide(r, news, NOW));
      }),
    );
  });
});

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

describe('test sends (a campaign’s …/test to an address the caller named)', () => {
  const now = new Date('2026-06-01T00:00:00Z');
  const state = (consents: Record<string, unknown>, extra: Record<string, unknown> = {}) => RecipientStateSchema.parse({ country: 'DE', consents, ...extra });
  const test = { class: 'marketing', topic: 'news', test: true } as const;

  it('go without a subscription, or with one not yet confirmed', () => {
    expect(decide(state({}), test, now)).toEqual({ action: 'send' });
    expect(decide(state({ news: { status: 'pending' } }), test, now)).toEqual({ action: 'send' });
    expect(decide(state({ news: { status: 'opted_in' } }), test, now)).toEqual({ action: 'send' });
  });

  it('are held for whatever the person or their mailbox said, and while marketing is paused', () => {
    expect(decide(state({ news: { status: 'opted_out' } }), test, now)).toEqual({ action: 'hold', reason: 'opted_out' });
    expect(decide(state({}, { unsubscribedAll: true }), test, now)).toEqual({ action: 'hold', reason: 'unsubscribed_all' });
    expect(decide(state({}, { suppressions: [{ reason: 'complaint', scope: 'marketing' }] }), test, now)).toEqual({ action: 'hold', reason: 'complained' });
    expect(decide(state({}), test, now, { marketingPaused: true })).toEqual({ action: 'hold', reason: 'marketing_paused' });
  });
});

describe('SUPPRESSION_REASONS', () => {
  it('names exactly the reasons the suppression schema allows (the suppression store reads each one by name)', () => {
    expect([...SUPPRESSION_REASONS].sort()).toEqual(SuppressionSchema.options.map((o) => o.shape.reason.value).sort());
  });
});
