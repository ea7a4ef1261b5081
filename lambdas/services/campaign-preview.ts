/**
 * Who a campaign would reach if it were launched now, counted by the launch's own rules: the audience is paged out
 * of the same index the launcher pages (`readPage`), each recipient is read as the sender reads them (one consistent
 * batch of profiles with the topic's consent, then their suppressions) and judged by the same `campaignVerdict`.
 * Nothing is written. Bounded: past `limit` recipients (or near the deadline) it stops and says `complete: false`.
 */
import { SEND_BATCH_SIZE } from '../domain/campaign.ts';
import { SendwellError } from '../domain/errors.ts';
import { consentTopicsOf } from '../domain/segments.ts';
import type { CampaignPreview, CampaignPreviewInput } from '../schemas/previews.ts';
import { readPage } from './campaign-launcher.ts';
import { campaignVerdict, withEngagement, type CampaignRule, type TimingInputs } from './campaign-verdict.ts';
import { checkShape, segmentRulesOf } from './campaigns.ts';
import type { Deps } from './deps.ts';

/** Most recipients one preview evaluates. */
export const PREVIEW_LIMIT = 50_000;

export interface PreviewOptions {
  /** @default PREVIEW_LIMIT */
  readonly limit?: number;
  /** Epoch ms to stop by (the Lambda's remaining time, less a margin); the figures so far are answered. */
  readonly deadline?: number;
}

/** A campaign not yet created: the same checks as `POST /v1/campaigns` decide its class and topic. */
export async function previewCampaign(deps: Deps, input: CampaignPreviewInput, options: PreviewOptions = {}): Promise<CampaignPreview> {
  // A preview sends nothing, so a service broadcast needs no recorded reason for it.
  const shape = await checkShape(deps, { ...input, reason: input.reason ?? 'a preview: nothing is sent' });
  const segmentRules = await segmentRulesOf(deps, input.audience);
  return countAudience(deps, { ...shape, audience: input.audience, ...(segmentRules ? { segmentRules } : {}) }, options);
}

/** A stored campaign, as it stands. */
export async function previewStoredCampaign(deps: Deps, id: string, options: PreviewOptions = {}): Promise<CampaignPreview> {
  const c = await deps.campaigns.get(id);
  if (!c) throw new SendwellError('not_found', `No campaign ${id}.`);
  // Launched: the rules read at launch; a draft: the segment as it is now.
  const segmentRules = c.segmentRules ?? (await segmentRulesOf(deps, c.audience));
  return countAudience(deps, { ...c, ...(segmentRules ? { segmentRules } : {}) }, options);
}

/**
 * Counts who a rule reaches now, by the sender's reads and verdict (`eligible` = would be sent now, `deferred` =
 * inside their quiet hours now, `held` by reason, frequency caps included). Also behind the segment preview.
 */
export async function countAudience(deps: Deps, rule: CampaignRule, options: PreviewOptions): Promise<CampaignPreview> {
  const limit = options.limit ?? PREVIEW_LIMIT;
  const held: Record<string, number> = {};
  const counts = { audience: 0, excluded: 0, eligible: 0, deferred: 0 };
  const settings = await deps.delivery.getSettings();
  const topicCap = rule.class === 'marketing' && rule.topic ? (await deps.catalog.getTopic(rule.topic))?.frequencyCap : undefined;
  const otherTopics = consentTopicsOf(rule.segmentRules);
  const answer = (complete: boolean): CampaignPreview => ({ ...counts, held, complete });
  let cursor: Record<string, unknown> | undefined;
  for (;;) {
    const { ids, next } = await readPage(deps, rule.topic, cursor);
    for (let i = 0; i < ids.length; i += SEND_BATCH_SIZE) {
      if (counts.audience >= limit || (options.deadline !== undefined && Date.now() > options.deadline)) return answer(false);
      const chunk = ids.slice(i, i + SEND_BATCH_SIZE);
      // Read as the sender reads a chunk: the profiles with the topic's consent, then their suppressions.
      const views = await withEngagement(deps, await deps.recipients.getForSending(chunk, rule.topic, otherTopics), rule.segmentRules);
      const suppressions = await deps.suppressions.listMany([...views.values()].map((v) => v.profile.addressHash));
      // Service mail is never deferred or capped (decide() ignores timing for it); the zone still follows the stage default.
      const timing: TimingInputs =
        rule.class === 'marketing' && (settings.frequencyCap || topicCap) ? { settings, topicCap, sentLogs: await deps.delivery.sentLogs(chunk) } : { settings, topicCap };
      const now = deps.clock();
      for (const id of chunk) {
        counts.audience++;
        const view = views.get(id);
        // Gone since the index listed them: the sender holds them as erased.
        if (!view) {
          held.erased = (held.erased ?? 0) + 1;
          continue;
        }
        const verdict = campaignVerdict(rule, view, suppressions, now, timing);
        if (verdict === 'excluded') counts.excluded++;
        else if (verdict.decision.action === 'send') counts.eligible++;
        else if (verdict.decision.action === 'defer') counts.deferred++;
        else held[verdict.decision.reason] = (held[verdict.decision.reason] ?? 0) + 1;
      }
    }
    if (!next) return answer(true);
    cursor = next;
  }
}
