/** Turns stored recipient data into the decision's input and into the API's `Recipient`. */
import { sharingAllowed, trackingAllowed, type RecipientState, type Suppression } from '../domain/decide.ts';
import { jurisdictionFor } from '../domain/jurisdiction.ts';
import { FALLBACK_TIME_ZONE, recipientTimeZone } from '../domain/time-zones.ts';
import type { RecipientAggregate } from '../adapters/dynamo/recipient-store.ts';
import type { Recipient, SuppressionRecord } from '../schemas/model.ts';

/**
 * The decision's view of stored data. Built, not parsed: the stores wrote what they hold from validated input, and a
 * page a recipient opens builds this too (no schema library at its cold start).
 */
export function toDecisionState(agg: RecipientAggregate | undefined, suppressions: readonly SuppressionRecord[]): RecipientState {
  const p = agg?.profile;
  return {
    country: p?.country ?? null,
    consents: Object.fromEntries(
      Object.values(agg?.consents ?? {}).map((c) => [c.topic, { status: c.status, ...(c.confirmedAt ? { confirmedAt: c.confirmedAt } : {}) }]),
    ),
    unsubscribedAll: p?.unsubscribedAll ?? false,
    // Each reason with its own scope, as the store only ever writes them (SuppressionSchema in schemas/decision.ts).
    suppressions: suppressions.map((s) => ({ reason: s.reason, scope: s.scope, createdAt: s.createdAt, ...(s.expiresAt ? { expiresAt: s.expiresAt } : {}) }) as Suppression),
    erased: suppressions.some((s) => s.reason === 'erased') && agg === undefined,
    ...(p?.tracking !== undefined ? { tracking: p.tracking } : {}),
    ...(p?.doNotSell !== undefined ? { doNotSell: p.doNotSell } : {}),
  };
}

export function toRecipient(agg: RecipientAggregate, suppressions: readonly SuppressionRecord[], defaultTimeZone: string = FALLBACK_TIME_ZONE): Recipient {
  const p = agg.profile;
  const state = toDecisionState(agg, suppressions);
  const zone = recipientTimeZone(p, defaultTimeZone);
  return {
    id: p.id,
    email: p.email,
    ...(p.externalId ? { externalId: p.externalId } : {}),
    ...(p.country ? { country: p.country } : {}),
    ...(p.locale ? { locale: p.locale } : {}),
    timeZone: zone.timeZone,
    timeZoneSource: zone.source,
    attributes: p.attributes ?? {},
    ...(p.lastOpenedAt ? { lastOpenedAt: p.lastOpenedAt } : {}),
    ...(p.lastClickedAt ? { lastClickedAt: p.lastClickedAt } : {}),
    jurisdiction: jurisdictionFor(p.country).zone,
    consents: Object.fromEntries(
      Object.values(agg.consents).map((c) => [
        c.topic,
        { status: c.status, updatedAt: c.updatedAt, source: c.source, ...(c.confirmedAt ? { confirmedAt: c.confirmedAt } : {}) },
      ]),
    ),
    unsubscribedAll: p.unsubscribedAll,
    tracking: trackingAllowed(state),
    ...(p.tracking !== undefined ? { trackingChoice: p.tracking } : {}),
    doNotSell: !sharingAllowed(state),
    ...(p.doNotSell !== undefined ? { doNotSellChoice: p.doNotSell } : {}),
    suppressions: [...suppressions],
    createdAt: p.createdAt,
    updatedAt: p.updatedAt,
  };
}
