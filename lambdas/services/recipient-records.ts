/**
 * Reading and creating recipient records, and the ledger entry every consent change carries. Sends no mail, so the
 * send service can use it too (a service mail to a new address creates its recipient).
 */
import type { ConsentStatus } from '../domain/decide.ts';
import { addressHash, addressProblem, normalizeEmail } from '../domain/email-address.ts';
import { SendwellError } from '../domain/errors.ts';
import { jurisdictionFor } from '../domain/jurisdiction.ts';
import { pseudonymizeIp } from '../domain/pseudonymize.ts';
import type { RecipientAggregate, StoredConsent, StoredProfile } from '../adapters/dynamo/recipient-store.ts';
import type { RuntimeKeys } from '../adapters/keys.ts';
import type { ConsentSource, Evidence } from '../schemas/fields.ts';
import type { LedgerEntry, Recipient, RecipientInput } from '../schemas/model.ts';
import type { Actor, Deps } from './deps.ts';
import { newId } from './ids.ts';
import { toRecipient } from './recipient-view.ts';

export interface LedgerContext {
  readonly source: ConsentSource;
  readonly evidence?: Evidence;
  readonly actor: Actor;
  readonly note?: string;
}

export function ledgerEntry(
  keys: RuntimeKeys,
  recipient: { id: string; country?: string | undefined },
  subject: string,
  from: string | null,
  to: string | null,
  ctx: LedgerContext,
  at: string,
): LedgerEntry {
  const ip = pseudonymizeIp(ctx.evidence?.ip, keys.ipKey);
  return {
    at,
    recipientId: recipient.id,
    subject,
    from,
    to,
    source: ctx.source,
    jurisdiction: jurisdictionFor(recipient.country).zone,
    actor: ctx.actor,
    ...(ctx.evidence?.wording ? { wording: ctx.evidence.wording } : {}),
    ...(ctx.evidence?.at ? { evidenceAt: ctx.evidence.at } : {}),
    ...(ip ? { ipPseudonym: ip } : {}),
    ...(ctx.evidence?.userAgent ? { userAgent: ctx.evidence.userAgent } : {}),
    ...(ctx.note ? { note: ctx.note } : {}),
  };
}

export function normalizeOrReject(email: string, path = 'email') {
  const n = normalizeEmail(email);
  if (!n.ok) throw new SendwellError('validation_failed', 'The address is not valid.', [{ path, message: addressProblem(n.reason) }]);
  return n;
}

export async function view(deps: Deps, agg: RecipientAggregate): Promise<Recipient> {
  const [suppressions, settings, engagement] = await Promise.all([
    deps.suppressions.list(agg.profile.addressHash),
    deps.delivery.getSettings({ maxAgeMs: 30_000 }),
    deps.messages.engagements([agg.profile.id]),
  ]);
  return toRecipient({ ...agg, profile: { ...agg.profile, ...(engagement.get(agg.profile.id) ?? {}) } }, suppressions, settings.defaultTimeZone);
}

export async function getRecipient(deps: Deps, id: string): Promise<Recipient> {
  const agg = await deps.recipients.get(id);
  if (!agg) throw new SendwellError('not_found', `No recipient ${id}.`);
  return view(deps, agg);
}

export async function findRecipientByEmail(deps: Deps, email: string): Promise<Recipient> {
  const n = normalizeOrReject(email);
  const keys = await deps.keys();
  const id = await deps.recipients.findIdByAddressHash(addressHash(n.address, keys.addressPepper));
  if (!id) throw new SendwellError('not_found', 'No recipient with this address.');
  return getRecipient(deps, id);
}

export interface InitialConsent {
  readonly topic: string;
  readonly status: ConsentStatus;
  readonly confirmedAt?: string;
  readonly evidence?: Evidence;
}

/**
 * Creates a recipient, or finds the one with the same normalized address (`created: false`). `consents` are
 * written with it in the same transaction, each with its ledger entry. Sends nothing.
 */
export async function createRecipientRecord(
  deps: Deps,
  input: Omit<RecipientInput, 'welcome'>,
  ctx: LedgerContext,
  consents: readonly InitialConsent[] = [],
): Promise<{ created: boolean; recipient: Recipient }> {
  const n = normalizeOrReject(input.email);
  const keys = await deps.keys();
  const hash = addressHash(n.address, keys.addressPepper);
  const existingId = await deps.recipients.findIdByAddressHash(hash);
  if (existingId) return { created: false, recipient: await getRecipient(deps, existingId) };
  const result = await storeNewRecipient(deps, keys, input, ctx, consents);
  if (!result.created) return { created: false, recipient: await getRecipient(deps, result.existingId) };
  return { created: true, recipient: await getRecipient(deps, result.id) };
}

/**
 * Writes a new recipient (profile, address claim, consents and their ledger entries, one transaction) without reading
 * it back: the import's path, which knows from a batch read that the address was free. If it was taken in between,
 * nothing is written and the existing id is returned.
 */
export async function storeNewRecipient(
  deps: Deps,
  keys: RuntimeKeys,
  input: Omit<RecipientInput, 'welcome'>,
  ctx: LedgerContext,
  consents: readonly InitialConsent[] = [],
): Promise<{ created: true; id: string } | { created: false; existingId: string }> {
  const { profile, stored, ledger } = newRecipientRecord(deps, keys, input, ctx, consents);
  const result = await deps.recipients.create(profile, stored, ledger);
  return result.created ? { created: true, id: profile.id } : result;
}

/** The items of a new recipient (profile, consents, ledger entries), not yet written. */
export function newRecipientRecord(
  deps: Pick<Deps, 'clock'>,
  keys: RuntimeKeys,
  input: Omit<RecipientInput, 'welcome'>,
  ctx: LedgerContext,
  consents: readonly InitialConsent[] = [],
  /** The id and time of a creation done again (an import step after a crash: the claim's). */
  fixed?: { id: string; at: string },
): { profile: StoredProfile; stored: StoredConsent[]; ledger: LedgerEntry[] } {
  const n = normalizeOrReject(input.email);
  const hash = addressHash(n.address, keys.addressPepper);
  const at = fixed?.at ?? deps.clock().toISOString();
  const profile: StoredProfile = {
    id: fixed?.id ?? newId('rcp'),
    email: n.display,
    address: n.address,
    addressHash: hash,
    ...(input.externalId ? { externalId: input.externalId } : {}),
    ...(input.country ? { country: input.country } : {}),
    ...(input.locale ? { locale: input.locale } : {}),
    ...(input.timeZone ? { timeZone: input.timeZone } : {}),
    attributes: input.attributes ?? {},
    unsubscribedAll: false,
    createdAt: at,
    updatedAt: at,
  };
  const stored: StoredConsent[] = consents.map((c) => ({
    topic: c.topic,
    status: c.status,
    updatedAt: at,
    source: ctx.source,
    ...(c.confirmedAt ? { confirmedAt: c.confirmedAt } : {}),
  }));
  const ledger = [
    ledgerEntry(keys, profile, 'recipient', null, 'created', ctx, at),
    ...consents.map((c) => ledgerEntry(keys, profile, `topic:${c.topic}`, null, c.status, { ...ctx, ...(c.evidence ? { evidence: c.evidence } : {}) }, at)),
  ];
  return { profile, stored, ledger };
}

