/**
 * The writes behind a consent or preference change, on a recipient already read: the stored state moved, its ledger
 * entries, the unsubscribe counted. What an opt-in sets off (the confirmation mail, a journey) is the caller's
 * (services/recipients.ts): an unsubscribe page opts out only, and loads none of it.
 */
import type { ConsentStatus } from '../domain/decide.ts';
import { SendwellError } from '../domain/errors.ts';
import { jurisdictionFor } from '../domain/jurisdiction.ts';
import type { CounterDims } from '../adapters/dynamo/counters.ts';
import type { RecipientAggregate, RecipientChange } from '../adapters/dynamo/recipient-store.ts';
import type { RuntimeKeys } from '../adapters/keys.ts';
import type { ConsentChange, LedgerEntry, PreferencesChange, Topic } from '../schemas/model.ts';
import type { Actor, Deps } from './deps.ts';
import { ledgerEntry, type LedgerContext } from './recipient-records.ts';

/** What a consent or preference change needs: the recipient's items, the counters, the keys (ledger pseudonyms). */
export type ConsentDeps = Pick<Deps, 'keys' | 'clock'> & {
  readonly recipients: Pick<Deps['recipients'], 'get' | 'apply'>;
  readonly suppressions: Pick<Deps['suppressions'], 'list' | 'remove'>;
  readonly messages: Pick<Deps['messages'], 'count'>;
};

/**
 * The actor of a recipient's own changes, made on the public pages (preference page, confirm link, unsubscribe).
 * Their functions may read suppressions but never write them (lambdas/wiring/table-access.ts `RECIPIENT_PAGE`): the
 * tombstone lift such an opt-in ledgers is carried out by the ledger's reader (privacy.ts `liftLedgeredTombstone`,
 * which carries out every lift ledgered; any other actor's is done at once as well, so their next send goes out).
 */
export const RECIPIENT_ACTOR: Actor = 'recipient';

const liftsAtOnce = (actor: Actor) => actor !== RECIPIENT_ACTOR;

/** Whether the address of `agg` carries an erasure tombstone. */
export const hasTombstone = async (deps: Pick<ConsentDeps, 'suppressions'>, agg: RecipientAggregate) =>
  (await deps.suppressions.list(agg.profile.addressHash)).some((s) => s.reason === 'erased');

/** The ledger entry of a tombstone lifted by a fresh opt-in with evidence (`ctx`). */
export const tombstoneLifted = (keys: RuntimeKeys, who: { id: string; country?: string | undefined }, ctx: LedgerContext, at: string): LedgerEntry =>
  ledgerEntry(keys, who, 'suppression:erased', 'active', 'lifted', { ...ctx, note: 'fresh opt-in with evidence after erasure' }, at);

/** `changed`: something was written; `status`: the topic's consent now. */
export interface ConsentOutcome {
  readonly changed: boolean;
  readonly status: ConsentStatus;
}

/**
 * Moves the recipient's consent to `topic` where `change` asks (an opt-in becomes `pending` where confirmation is
 * required). Nothing is written when it is there already. A concurrent change of the same recipient is read again
 * and tried twice more. An opt-out that changes something is counted as an unsubscribe by source, in the topic's
 * series and `dims`'.
 */
export async function changeConsent(deps: ConsentDeps, read: RecipientAggregate, topic: Pick<Topic, 'id' | 'doubleOptIn'>, change: ConsentChange, actor: Actor, dims: CounterDims = {}): Promise<ConsentOutcome> {
  let agg = read;
  for (let attempt = 0; ; attempt++) {
    const id = agg.profile.id;
    const current = agg.consents[topic.id];
    const pending = change.status === 'opted_in' && (topic.doubleOptIn || jurisdictionFor(agg.profile.country).requiresDoubleOptIn);
    const nextStatus: ConsentStatus = change.status === 'opted_out' ? 'opted_out' : pending ? 'pending' : 'opted_in';
    // Already where the request wants it: nothing to write. (An opt-in already confirmed stays confirmed.)
    if (current?.status === nextStatus && nextStatus !== 'pending') return { changed: false, status: nextStatus };
    if (current?.status === 'opted_in' && nextStatus === 'pending') return { changed: false, status: 'opted_in' };

    const keys = await deps.keys();
    const at = deps.clock().toISOString();
    const ctx: LedgerContext = { source: change.source, actor, ...(change.evidence ? { evidence: change.evidence } : {}) };
    const who = { id, country: agg.profile.country };
    // An erasure tombstone on this address is lifted only by a fresh, explicit opt-in that carries its evidence and
    // counts now (a pending one lifts it when confirmed: recipients.ts confirmOptIn).
    const liftTombstone = nextStatus === 'opted_in' && change.evidence?.at !== undefined && (await hasTombstone(deps, agg));
    try {
      await deps.recipients.apply(id, {
        at,
        consents: [{ previous: current?.status, next: { topic: topic.id, status: nextStatus, updatedAt: at, source: change.source } }],
        ledger: [
          ledgerEntry(keys, who, `topic:${topic.id}`, current?.status ?? null, nextStatus, ctx, at),
          ...(liftTombstone ? [tombstoneLifted(keys, who, ctx, at)] : []),
        ],
      });
    } catch (e) {
      if (attempt < 2 && e instanceof SendwellError && e.code === 'conflict') {
        const again = await deps.recipients.get(id);
        if (!again) throw new SendwellError('not_found', `No recipient ${id}.`);
        agg = again;
        continue;
      }
      throw e;
    }
    if (liftTombstone && liftsAtOnce(actor)) await deps.suppressions.remove(agg.profile.addressHash, 'erased', { madeBefore: at });
    if (nextStatus === 'opted_out') await countUnsubscribe(deps, at, change.source, { ...dims, topic: topic.id });
    return { changed: true, status: nextStatus };
  }
}

/**
 * "Unsubscribe from all marketing", tracking consent and "do not sell or share", each ledgered when it changes.
 * Turning "unsubscribe from all" on counts an unsubscribe, in the series of `dims` (the topic and campaign of the mail
 * it came from, when known). Returns whether anything was written.
 */
export async function changePreferences(deps: ConsentDeps, agg: RecipientAggregate, change: PreferencesChange, actor: Actor, dims: CounterDims = {}): Promise<boolean> {
  let p = agg.profile;
  for (let attempt = 0; ; attempt++) {
    const keys = await deps.keys();
    const at = deps.clock().toISOString();
    const ctx: LedgerContext = { source: change.source, actor, ...(change.evidence ? { evidence: change.evidence } : {}) };
    const who = { id: p.id, country: p.country };
    const ledger: LedgerEntry[] = [];
    const profile: { unsubscribedAll?: boolean; tracking?: boolean; doNotSell?: boolean } = {};
    const was: NonNullable<RecipientChange['profileWas']> = {};
    const str = (v: boolean | undefined) => (v === undefined ? null : String(v));
    for (const [name, subject] of PREFERENCE_SUBJECTS) {
      const next = change[name];
      if (next === undefined || next === p[name]) continue;
      profile[name] = next;
      was[name] = p[name];
      ledger.push(ledgerEntry(keys, who, subject, str(p[name]), str(next), ctx, at));
    }
    if (ledger.length === 0) return false;
    try {
      // On the condition that each switch is still what this change was decided on: of two saves at once, the later
      // reads again and finds its change made (nothing ledgered or counted twice) or makes what is left of it.
      await deps.recipients.apply(p.id, { at, profile, profileWas: was, ledger });
    } catch (e) {
      if (attempt < 2 && e instanceof SendwellError && e.code === 'conflict') {
        const again = await deps.recipients.get(p.id);
        if (!again) throw new SendwellError('not_found', `No recipient ${p.id}.`);
        p = again.profile;
        continue;
      }
      throw e;
    }
    if (profile.unsubscribedAll === true) await countUnsubscribe(deps, at, change.source, dims);
    return true;
  }
}

/** The profile's switches a preference change may set, with their ledger subjects. */
const PREFERENCE_SUBJECTS = [
  ['unsubscribedAll', 'unsubscribed_all'],
  ['tracking', 'tracking'],
  ['doNotSell', 'do_not_sell'],
] as const;

/**
 * Counts one unsubscribe that changed something (`unsubscribed`, `unsubscribed_<source>`): the figure ops read by
 * source (link, one-click, preference page, complaint, mailto, api…).
 */
async function countUnsubscribe(deps: Pick<ConsentDeps, 'messages'>, at: string, source: string, dims: CounterDims): Promise<void> {
  await deps.messages.count(at, { unsubscribed: 1, [`unsubscribed_${source}`]: 1 }, dims);
}
