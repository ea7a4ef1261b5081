/**
 * Suppressions by address: list, add, lift. Lifting a complaint is a consent matter (the person told their mailbox
 * provider this was spam): it needs a written reason and goes into the ledger when the address has a recipient.
 */
import { addressHash } from '../domain/email-address.ts';
import { SendwellError } from '../domain/errors.ts';
import type { SuppressionRecord } from '../schemas/model.ts';
import type { Actor, Deps } from './deps.ts';
import { ledgerEntry, normalizeOrReject } from './recipient-records.ts';

async function hashOf(deps: Deps, email: string) {
  const n = normalizeOrReject(email);
  const keys = await deps.keys();
  return { keys, hash: addressHash(n.address, keys.addressPepper) };
}

export async function listSuppressions(deps: Deps, email: string): Promise<SuppressionRecord[]> {
  const { hash } = await hashOf(deps, email);
  return deps.suppressions.list(hash);
}

export interface AddSuppression {
  readonly email: string;
  readonly reason: 'manual' | 'hard_bounce' | 'complaint';
  readonly scope: 'all' | 'marketing';
  readonly note?: string;
  readonly expiresAt?: string;
}

/** The scope each reason may have (a complaint never blocks service mail; a bounce blocks everything). */
function scopeFor(input: AddSuppression): 'all' | 'marketing' {
  if (input.reason === 'hard_bounce') return 'all';
  if (input.reason === 'complaint') return 'marketing';
  return input.scope;
}

export async function addSuppression(deps: Deps, input: AddSuppression, actor: Actor): Promise<SuppressionRecord> {
  const { hash } = await hashOf(deps, input.email);
  const record: SuppressionRecord = {
    reason: input.reason,
    scope: scopeFor(input),
    createdAt: deps.clock().toISOString(),
    source: `api:${actor}`,
    ...(input.note ? { note: input.note } : {}),
    ...(input.expiresAt ? { expiresAt: input.expiresAt } : {}),
  };
  await deps.suppressions.put(hash, record);
  return record;
}

export async function liftSuppression(
  deps: Deps,
  input: { email: string; reason: SuppressionRecord['reason']; note?: string },
  actor: Actor,
): Promise<SuppressionRecord> {
  if (input.reason === 'complaint' && !input.note?.trim()) {
    throw new SendwellError('validation_failed', 'Lifting a complaint needs a reason: say why this person may get marketing again.', [
      { path: 'note', message: 'required to lift a complaint' },
    ]);
  }
  const { keys, hash } = await hashOf(deps, input.email);
  const removed = await deps.suppressions.remove(hash, input.reason);
  if (!removed) throw new SendwellError('not_found', `This address has no ${input.reason} suppression.`);
  if (input.reason === 'complaint') {
    const id = await deps.recipients.findIdByAddressHash(hash);
    const agg = id ? await deps.recipients.get(id) : undefined;
    if (agg) {
      const at = deps.clock().toISOString();
      await deps.recipients.apply(agg.profile.id, {
        at,
        ledger: [
          ledgerEntry(keys, { id: agg.profile.id, country: agg.profile.country }, 'suppression:complaint', 'active', 'lifted', {
            source: 'admin',
            actor,
            ...(input.note ? { note: input.note } : {}),
          }, at),
        ],
      });
    }
  }
  return removed;
}
