/**
 * What the send rule says about one recipient of a campaign, from what the sender reads right before sending (the
 * profile, the consent to the campaign's topic, the suppressions of the address). The sender acts on it; the
 * campaign preview counts it. One rule, so a preview's figures are what a launch would do at that moment.
 */
import { matchesAudience } from '../domain/campaign.ts';
import { decide, type Decision, type MessageClass, type RecipientState } from '../domain/decide.ts';
import type { SendingView } from '../adapters/dynamo/recipient-store.ts';
import type { AudienceFilter, SuppressionRecord } from '../schemas/model.ts';
import { toDecisionState } from './recipient-view.ts';

export interface CampaignRule {
  readonly class: MessageClass;
  readonly topic?: string | undefined;
  readonly audience?: AudienceFilter | undefined;
}

export type CampaignVerdict = 'excluded' | { readonly state: RecipientState; readonly decision: Decision };

/** `excluded` when the audience filter leaves the recipient out, else the decision and the state it was made on. */
export function campaignVerdict(
  campaign: CampaignRule,
  view: SendingView,
  suppressions: ReadonlyMap<string, readonly SuppressionRecord[]>,
  now: Date,
): CampaignVerdict {
  if (!matchesAudience(view.profile, campaign.audience)) return 'excluded';
  const state = toDecisionState(
    { profile: view.profile, consents: view.consent && campaign.topic ? { [campaign.topic]: view.consent } : {} },
    suppressions.get(view.profile.addressHash) ?? [],
  );
  // The address comes from the recipient record itself: as good as a caller naming it (service mail after erasure).
  const decision = decide(state, { class: campaign.class, ...(campaign.topic ? { topic: campaign.topic } : {}), addressSuppliedByCaller: true }, now);
  return { state, decision };
}
