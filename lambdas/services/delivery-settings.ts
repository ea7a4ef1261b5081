/** The stage's delivery settings: quiet hours, the frequency cap and the default time zone (`/v1/settings/delivery`). */
import type { DeliverySettings, DeliverySettingsInput } from '../schemas/model.ts';
import { patched } from '../domain/patch.ts';
import type { Actor, Deps } from './deps.ts';

export async function getDeliverySettings(deps: Deps): Promise<DeliverySettings> {
  return deps.delivery.getSettings();
}

/**
 * Changes the fields given (`null` removes one, a field left out is kept). Applies from the next decision on:
 * mail already deferred is decided again when it is due, under the settings of that moment.
 */
export async function putDeliverySettings(deps: Deps, input: DeliverySettingsInput, actor: Actor): Promise<DeliverySettings> {
  const current = await deps.delivery.getSettings();
  const quietHours = patched(input.quietHours, current.quietHours);
  const frequencyCap = patched(input.frequencyCap, current.frequencyCap);
  const next: DeliverySettings = {
    ...(quietHours ? { quietHours } : {}),
    ...(frequencyCap ? { frequencyCap } : {}),
    defaultTimeZone: patched(input.defaultTimeZone, current.defaultTimeZone) ?? 'UTC',
    ...(current.topicCaps ? { topicCaps: true } : {}),
    updatedAt: deps.clock().toISOString(),
    updatedBy: actor,
  };
  await deps.delivery.putSettings(next);
  return next;
}

/**
 * A topic got a cap of its own: from now on every marketing mail (of any topic) takes a slot in its recipient's send
 * log, since the topic's cap counts them all. Never turned off by itself: the log costs ~4 WRU a marketing mail.
 */
export async function noteTopicCaps(deps: Deps): Promise<void> {
  const current = await deps.delivery.getSettings();
  if (current.topicCaps) return;
  await deps.delivery.putSettings({ ...current, topicCaps: true });
}
