/**
 * Segments: named rules that narrow a campaign's audience (`audience: {segment: id}`), and their preview — the same
 * count the campaign preview gives, for the segment over a topic's opted-in subscribers.
 */
import { SendwellError } from '../domain/errors.ts';
import { ruleLimits } from '../domain/segments.ts';
import type { Segment, SegmentInput, SegmentUpdate } from '../schemas/model.ts';
import type { CampaignPreview } from '../schemas/previews.ts';
import { countAudience, type PreviewOptions } from './campaign-preview.ts';
import { campaignsUsingSegment } from './campaigns.ts';
import type { Actor, Deps } from './deps.ts';

function checkRules(rules: Segment['rules']): void {
  const problem = ruleLimits(rules);
  if (problem) throw new SendwellError('validation_failed', 'The segment rules are too large.', [{ path: 'rules', message: problem }]);
}

export async function createSegment(deps: Deps, input: SegmentInput, actor: Actor): Promise<Segment> {
  checkRules(input.rules);
  const at = deps.clock().toISOString();
  const segment: Segment = { ...input, createdAt: at, updatedAt: at, createdBy: actor };
  await deps.catalog.putSegment(segment, 'create');
  return segment;
}

export async function getSegment(deps: Deps, id: string): Promise<Segment> {
  const segment = await deps.catalog.getSegment(id);
  if (!segment) throw new SendwellError('not_found', `No segment ${id}.`);
  return segment;
}

/** Replaces name, description and rules. A campaign already launched keeps the rules it read at its launch. */
export async function updateSegment(deps: Deps, id: string, input: SegmentUpdate): Promise<Segment> {
  checkRules(input.rules);
  const current = await getSegment(deps, id);
  const segment: Segment = { ...input, id, createdAt: current.createdAt, createdBy: current.createdBy, updatedAt: deps.clock().toISOString() };
  await deps.catalog.putSegment(segment, 'replace');
  return segment;
}

export async function deleteSegment(deps: Deps, id: string): Promise<{ id: string; deleted: true }> {
  const using = await campaignsUsingSegment(deps, id);
  if (using.length) {
    throw new SendwellError(
      'conflict',
      `Segment ${id} is the audience of scheduled campaign${using.length > 1 ? 's' : ''} ${using.join(', ')}, which read${using.length > 1 ? '' : 's'} it at launch: change their audience or cancel them first.`,
    );
  }
  if (!(await deps.catalog.deleteSegment(id))) throw new SendwellError('not_found', `No segment ${id}.`);
  return { id, deleted: true };
}

/**
 * Who the segment selects among the topic's opted-in subscribers, and what the send rule would do with them now:
 * `audience` (the topic's audience), `excluded` (not in the segment), `eligible`, `deferred` and `held` by reason —
 * counted by the same function as the campaign preview, so a campaign to the topic with this segment reports the same.
 */
export async function previewSegment(deps: Deps, id: string, topic: string, options: PreviewOptions = {}): Promise<CampaignPreview> {
  const segment = await getSegment(deps, id);
  return previewRules(deps, segment.rules, topic, options);
}

/** The same count for rules not saved yet (the console's segment builder counts as you type). */
export async function previewRules(deps: Deps, rules: Segment['rules'], topic: string, options: PreviewOptions = {}): Promise<CampaignPreview> {
  checkRules(rules);
  if (!(await deps.catalog.getTopic(topic))) throw new SendwellError('validation_failed', `No topic ${topic}.`, [{ path: 'topic', message: 'unknown topic' }]);
  return countAudience(deps, { class: 'marketing', topic, segmentRules: rules }, options);
}
