/**
 * The partner relay: each committed ledger entry partners care about becomes one event, delivered to every
 * configured partner webhook, HMAC-signed with that partner's secret, retried with backoff; what still fails is
 * kept and replayed later in order. Addresses go only to partners configured to receive them, and identifiers (the
 * address, the `externalId`) only while the person's data may be shared: not after a do-not-sell, not in a region
 * where sharing needs an opt-in they did not give — except with an opt-out (of a topic, of all marketing, of tracking,
 * of sharing itself), which a partner must be able to act on.
 */
import { createHash } from 'node:crypto';
import { isOptOut, signWebhook, toPartnerEvent, type LedgerChange, type PartnerEvent } from '../domain/partner-events.ts';
import { sharingAllowed } from '../domain/decide.ts';
import type { FailedDelivery, RelayStore } from '../adapters/dynamo/relay-store.ts';
import type { Partner } from '../adapters/partners.ts';
import type { Deps } from './deps.ts';

export interface RelayDeps {
  readonly deps: Pick<Deps, 'recipients' | 'suppressions' | 'clock'>;
  readonly partners: () => Promise<Partner[]>;
  readonly failures: Pick<RelayStore, 'saveFailure' | 'failures' | 'remove'>;
  /** Waits between attempts of one delivery (ms). @default [250, 1000] */
  readonly backoffMs?: readonly number[];
  /** @default 5000 */
  readonly timeoutMs?: number;
}

/** A ledger entry as the stream delivers it, with its table keys. */
export interface LedgerRecord extends LedgerChange {
  readonly pk: string;
  readonly sk: string;
}

/** Stable, time-ordered id of the event for one ledger entry: the same entry relayed twice keeps its id. */
export const eventIdOf = (r: Pick<LedgerRecord, 'pk' | 'sk' | 'at'>) =>
  `evt_${r.at}_${createHash('sha256').update(`${r.pk}\0${r.sk}`).digest('base64url').slice(0, 12)}`;

async function post(partner: Partner, body: string, event: Pick<PartnerEvent, 'id' | 'type'>, now: Date, timeoutMs: number): Promise<string | undefined> {
  try {
    const res = await fetch(partner.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'sendwell-event-id': event.id,
        'sendwell-event-type': event.type,
        'sendwell-signature': signWebhook(body, partner.secret, Math.floor(now.getTime() / 1000)),
      },
      body,
      redirect: 'error',
      signal: AbortSignal.timeout(timeoutMs),
    });
    await res.body?.cancel();
    return res.ok ? undefined : `HTTP ${res.status}`;
  } catch (e) {
    return (e as Error).name === 'TimeoutError' ? 'timeout' : 'unreachable';
  }
}

async function deliver(relay: RelayDeps, partner: Partner, body: string, event: Pick<PartnerEvent, 'id' | 'type'>): Promise<string | undefined> {
  const waits = relay.backoffMs ?? [250, 1000];
  let error: string | undefined;
  for (let attempt = 0; attempt <= waits.length; attempt++) {
    if (attempt > 0) await new Promise((r) => setTimeout(r, waits[attempt - 1]));
    error = await post(partner, body, event, relay.deps.clock(), relay.timeoutMs ?? 5000);
    if (error === undefined) return undefined;
  }
  return error;
}

export interface RelayReport {
  readonly events: number;
  readonly delivered: number;
  readonly failed: number;
}

/** Relays ledger entries (in their order) to every partner. Failures are stored, never thrown. */
export async function relayLedger(relay: RelayDeps, records: readonly LedgerRecord[]): Promise<RelayReport> {
  const partners = await relay.partners();
  let events = 0;
  let delivered = 0;
  let failed = 0;
  for (const record of records) {
    const event = toPartnerEvent(record, eventIdOf(record));
    if (!event) continue;
    events++;
    let profile: { email: string; externalId?: string } | undefined;
    // Read only for someone to tell (a stage without partners reads nothing per ledger entry).
    if (partners.length && event.type !== 'recipient.erased') {
      const person = (await relay.deps.recipients.get(event.recipientId))?.profile;
      if (person && (sharingAllowed(person) || isOptOut(event))) profile = person;
    }
    await Promise.all(
      partners.map(async (partner) => {
        if (event.type === 'recipient.erased') await forgetQueuedIdentifiers(relay, partner.id, event.recipientId);
        const body = JSON.stringify({
          ...event,
          ...(profile?.externalId ? { externalId: profile.externalId } : {}),
          ...(partner.includeAddress && profile ? { email: profile.email } : {}),
        });
        // While earlier events wait for this partner, a new one waits behind them: a partner sees changes in order.
        const behind = (await relay.failures.failures(partner.id)).length > 0;
        const error = behind ? 'queued behind earlier failed deliveries' : await deliver(relay, partner, body, event);
        if (error === undefined) {
          delivered++;
          return;
        }
        failed++;
        const at = relay.deps.clock().toISOString();
        await relay.failures.saveFailure({ partnerId: partner.id, eventId: event.id, body, attempts: (relay.backoffMs ?? [250, 1000]).length + 1, lastError: error, firstFailedAt: at, lastFailedAt: at });
      }),
    );
  }
  return { events, delivered, failed };
}

/**
 * An erased person's events still waiting for a partner (it was down) keep their place in order, without the
 * address or external id they were built with: those are gone from Sendwell with the person, and must not reach the
 * partner after the erasure.
 */
async function forgetQueuedIdentifiers(relay: RelayDeps, partnerId: string, recipientId: string): Promise<void> {
  for (const f of await relay.failures.failures(partnerId)) {
    const { email, externalId, ...rest } = JSON.parse(f.body) as PartnerEvent & { email?: string; externalId?: string };
    if (rest.recipientId !== recipientId || (email === undefined && externalId === undefined)) continue;
    await relay.failures.saveFailure({ ...f, body: JSON.stringify(rest) });
  }
}

/**
 * Sends every kept failure again, oldest first, per partner; stops at a partner's first failure so its events stay
 * in order. Returns how many went through and how many are still waiting.
 */
export async function replayFailures(relay: RelayDeps): Promise<{ delivered: number; waiting: number }> {
  let delivered = 0;
  let waiting = 0;
  for (const partner of await relay.partners()) {
    const pending: FailedDelivery[] = await relay.failures.failures(partner.id);
    for (let i = 0; i < pending.length; i++) {
      const f = pending[i] as FailedDelivery;
      const type = (JSON.parse(f.body) as PartnerEvent).type;
      const error = await post(partner, f.body, { id: f.eventId, type }, relay.deps.clock(), relay.timeoutMs ?? 5000);
      if (error !== undefined) {
        await relay.failures.saveFailure({ ...f, attempts: f.attempts + 1, lastError: error, lastFailedAt: relay.deps.clock().toISOString() });
        waiting += pending.length - i;
        break;
      }
      await relay.failures.remove(partner.id, f.eventId);
      delivered++;
    }
  }
  return { delivered, waiting };
}
