/**
 * What the send rule says about one recipient of a campaign, from what the sender reads right before sending (the
 * profile, the consent to the campaign's topic, the suppressions of the address, the stage's delivery settings and the
 * recipient's marketing send log). The sender acts on it; the campaign and segment previews count it. One rule, so a
 * preview's figures are what a launch would do at that moment.
 */
import { matchesAudience } from '../domain/campaign.ts';
import { decide, type Decision, type DecisionTiming, type MessageClass, type RecipientState } from '../domain/decide.ts';
import type { FrequencyCap } from '../domain/delivery-timing.ts';
import { matchesSegment, type SegmentRule, type SegmentSubject } from '../domain/segments.ts';
import { recipientTimeZone } from '../domain/time-zones.ts';
import type { SendingView } from '../adapters/dynamo/recipient-store.ts';
import type { AudienceFilter, DeliverySettings, SuppressionRecord } from '../schemas/model.ts';
import { toDecisionState } from './recipient-view.ts';

export interface CampaignRule {
  readonly class: MessageClass;
  readonly topic?: string | undefined;
  readonly audience?: AudienceFilter | undefined;
  /** The segment's rules, as read at launch (a preview reads them now). */
  readonly segmentRules?: SegmentRule | undefined;
}

/** The stage's timing rules and what the sender read of the recipients' send logs. */
export interface TimingInputs {
  readonly settings: DeliverySettings;
  /** The campaign topic's own (stricter) cap. */
  readonly topicCap?: FrequencyCap | undefined;
  /** Marketing send instants (epoch ms) per recipient id; absent: none sent. */
  readonly sentLogs?: ReadonlyMap<string, readonly number[]> | undefined;
}

export type CampaignVerdict = 'excluded' | { readonly state: RecipientState; readonly decision: Decision; readonly timeZone: string };

/** Whether a rule reads `lastOpenedAt` / `lastClickedAt` (kept apart from the profile: see `engagementUpdate` in message-store.ts). */
export function readsEngagement(rule: SegmentRule | undefined): boolean {
  return rule !== undefined && /"field":"last(?:Opened|Clicked)At"/.test(JSON.stringify(rule));
}

/** The views with each recipient's last open and click on the profile, when the segment reads them (one batch read). */
export async function withEngagement(
  deps: { messages: { engagements(ids: readonly string[]): Promise<Map<string, { lastOpenedAt?: string; lastClickedAt?: string }>> } },
  views: Map<string, SendingView>,
  rule: SegmentRule | undefined,
): Promise<Map<string, SendingView>> {
  if (!readsEngagement(rule) || views.size === 0) return views;
  const engagement = await deps.messages.engagements([...views.keys()]);
  return new Map([...views].map(([id, v]) => [id, { ...v, profile: { ...v.profile, ...(engagement.get(id) ?? {}) } }]));
}

/** What a segment sees of a recipient read for sending. */
export function segmentSubject(view: SendingView, timeZone: string, topic: string | undefined): SegmentSubject {
  const p = view.profile;
  return {
    country: p.country,
    locale: p.locale,
    timeZone,
    createdAt: p.createdAt,
    lastOpenedAt: p.lastOpenedAt,
    lastClickedAt: p.lastClickedAt,
    attributes: p.attributes ?? {},
    consents: { ...(view.otherConsents ?? {}), ...(topic && view.consent ? { [topic]: view.consent.status } : {}) },
  };
}

/**
 * `excluded` when the audience filter or the segment leaves the recipient out, else the decision, the state it was
 * made on and the recipient's time zone.
 */
export function campaignVerdict(
  campaign: CampaignRule,
  view: SendingView,
  suppressions: ReadonlyMap<string, readonly SuppressionRecord[]>,
  now: Date,
  timing?: TimingInputs,
): CampaignVerdict {
  const timeZone = recipientTimeZone(view.profile, timing?.settings.defaultTimeZone).timeZone;
  if (!matchesAudience(view.profile, campaign.audience)) return 'excluded';
  if (campaign.segmentRules && !matchesSegment(segmentSubject(view, timeZone, campaign.topic), campaign.segmentRules, now)) return 'excluded';
  const state = toDecisionState(
    { profile: view.profile, consents: view.consent && campaign.topic ? { [campaign.topic]: view.consent } : {} },
    suppressions.get(view.profile.addressHash) ?? [],
  );
  const decisionTiming: DecisionTiming | undefined = timing
    ? {
        timeZone,
        quietHours: timing.settings.quietHours,
        stageCap: timing.settings.frequencyCap,
        topicCap: timing.topicCap,
        marketingSentAt: timing.sentLogs?.get(view.profile.id) ?? [],
      }
    : undefined;
  // The address comes from the recipient record itself: as good as a caller naming it (service mail after erasure).
  const decision = decide(
    state,
    { class: campaign.class, ...(campaign.topic ? { topic: campaign.topic } : {}), addressSuppliedByCaller: true },
    now,
    decisionTiming ? { timing: decisionTiming } : {},
  );
  return { state, decision, timeZone };
}
