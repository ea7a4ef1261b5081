/**
 * A/B tests on campaigns, pure: which group and variant a recipient is in, and which variant wins.
 *
 * Assignment is a function of the campaign id and the recipient id alone (a hash → two uniform numbers), so every
 * redelivery, retry or restart of a batch puts a recipient in the same group with the same variant: exactly-once
 * delivery then holds per recipient, whichever variant they get. The holdout is carved out first, then the test share;
 * the variant is drawn with the second number, independent of the first, so the split among variants is the same in
 * the test share as without one.
 */
import { createHash } from 'node:crypto';
import type { ErrorDetail } from './errors.ts';

export interface Variant {
  readonly id: string;
  readonly template?: string | undefined;
  readonly subject?: string | undefined;
  readonly weight: number;
}

export type WinnerMetric = 'humanOpens' | 'clicks';

export interface AbTestSpec {
  readonly variants: readonly Variant[];
  /** Percent of the audience that gets nothing (the baseline a lift is measured against). */
  readonly holdout?: number | undefined;
  /** With a test: `share` percent of the audience gets the variants, the rest gets the winner. */
  readonly test?: { readonly share: number; readonly metric: WinnerMetric; readonly decideAfterSeconds: number } | undefined;
}

export type DecisionReason = 'metric' | 'tie' | 'tooLittleData' | 'manual';

export interface WinnerDecision {
  readonly variant: string;
  readonly reason: DecisionReason;
  readonly at: string;
}

export const MIN_VARIANTS = 2;
export const MAX_VARIANTS = 5;
/** Delivered mails each variant needs before its rate is trusted to pick a winner. */
export const MIN_DELIVERED_PER_VARIANT = 20;

/** Where a recipient falls: nothing (holdout), a variant now, or the winner once it is decided (`rest`). */
export type Assignment = { readonly group: 'holdout' } | { readonly group: 'variant'; readonly variant: string } | { readonly group: 'rest' };

/** Two uniform numbers in [0, 1) from the campaign and recipient ids (48 bits each of a SHA-256). */
export function abBuckets(campaignId: string, recipientId: string): [number, number] {
  const h = createHash('sha256').update(`${campaignId}\u0000${recipientId}`).digest();
  return [h.readUIntBE(0, 6) / 2 ** 48, h.readUIntBE(6, 6) / 2 ** 48];
}

/**
 * The variant a uniform `u` in [0, 1) draws, each with probability weight / total weight.
 *
 * @example
 * variantAt([{ id: 'a', weight: 1 }, { id: 'b', weight: 3 }], 0.3) // 'b'
 */
export function variantAt(variants: readonly Pick<Variant, 'id' | 'weight'>[], u: number): string {
  const total = variants.reduce((s, v) => s + v.weight, 0);
  let edge = 0;
  for (const v of variants) {
    edge += v.weight / total;
    if (u < edge) return v.id;
  }
  // Floating-point sums may end a hair below 1.
  return variants[variants.length - 1]!.id;
}

/**
 * A recipient's group in the campaign's A/B test. Deterministic: the same ids always give the same answer.
 *
 * @example
 * assignVariant('cmp_1', 'rcp_1', { variants: [{ id: 'a', weight: 1 }, { id: 'b', weight: 1 }], holdout: 10 })
 * // { group: 'variant', variant: 'a' } (or 'b', or { group: 'holdout' } for about 10 % of recipients)
 */
export function assignVariant(campaignId: string, recipientId: string, spec: AbTestSpec): Assignment {
  const [group, pick] = abBuckets(campaignId, recipientId);
  const holdout = (spec.holdout ?? 0) / 100;
  if (group < holdout) return { group: 'holdout' };
  if (spec.test && group >= holdout + spec.test.share / 100) return { group: 'rest' };
  return { group: 'variant', variant: variantAt(spec.variants, pick) };
}

/**
 * What is wrong with an A/B test's shape, each problem naming its field (templates are checked by the caller, which
 * can read them). Empty: valid.
 */
export function checkAbTest(spec: AbTestSpec): ErrorDetail[] {
  const problems: ErrorDetail[] = [];
  const { variants } = spec;
  if (variants.length < MIN_VARIANTS || variants.length > MAX_VARIANTS) problems.push({ path: 'variants', message: `${MIN_VARIANTS} to ${MAX_VARIANTS} variants` });
  const seen = new Set<string>();
  variants.forEach((v, i) => {
    if (seen.has(v.id)) problems.push({ path: `variants.${i}.id`, message: `variant id ${v.id} is used twice` });
    seen.add(v.id);
    if (!(v.weight > 0)) problems.push({ path: `variants.${i}.weight`, message: 'must be positive' });
    if (v.template === undefined && v.subject === undefined) problems.push({ path: `variants.${i}`, message: 'a variant changes the template, the subject or both' });
  });
  const holdout = spec.holdout ?? 0;
  if (!(holdout >= 0 && holdout < 100)) problems.push({ path: 'holdout', message: 'a percentage from 0 to below 100' });
  if (spec.test) {
    const { share, decideAfterSeconds } = spec.test;
    if (!(share > 0 && share < 100)) problems.push({ path: 'test.share', message: 'a percentage above 0 and below 100' });
    else if (holdout + share > 100) problems.push({ path: 'test.share', message: `holdout (${holdout}) + test share (${share}) exceed 100 %` });
    if (!(decideAfterSeconds >= 1)) problems.push({ path: 'test.decideAfterSeconds', message: 'at least 1 second' });
  }
  return problems;
}

/** One variant's figures as the winner is judged: delivered mails and how many of them a person opened or clicked. */
export interface VariantScore {
  readonly id: string;
  readonly delivered: number;
  /** Unique human opens (machine opens — Apple Mail Privacy Protection, scanners — never count). */
  readonly humanOpens: number;
  /** Unique human clicks. */
  readonly clicks: number;
}

/**
 * The winner at `decideAt`, or `undefined` while the test runs. A clear leader on the metric (rate per delivered
 * mail, every variant with at least `minDelivered`) wins with reason `metric`. A tie names the first of the tied
 * leaders; too little data (a variant under `minDelivered`, or no human engagement at all) the first variant — each
 * with its reason, so the campaign says why.
 *
 * @example
 * pickWinner([{ id: 'a', delivered: 50, humanOpens: 5, clicks: 1 }, { id: 'b', delivered: 50, humanOpens: 5, clicks: 9 }], 'clicks', { now, decideAt: now })
 * // { variant: 'b', reason: 'metric', at: now.toISOString() }
 */
export function pickWinner(
  scores: readonly VariantScore[],
  metric: WinnerMetric,
  when: { readonly now: Date; readonly decideAt: Date },
  minDelivered = MIN_DELIVERED_PER_VARIANT,
): WinnerDecision | undefined {
  if (when.now.getTime() < when.decideAt.getTime() || scores.length === 0) return undefined;
  const at = when.now.toISOString();
  if (scores.some((s) => s.delivered < minDelivered)) return { variant: scores[0]!.id, reason: 'tooLittleData', at };
  const rates = scores.map((s) => (metric === 'clicks' ? s.clicks : s.humanOpens) / s.delivered);
  const best = Math.max(...rates);
  // Nobody opened (clicked) anything a person would: nothing to choose on.
  if (best === 0) return { variant: scores[0]!.id, reason: 'tooLittleData', at };
  const leaders = scores.filter((_, i) => rates[i] === best);
  // Tied leaders: the first of them (the first variant may be one the others beat).
  if (leaders.length > 1) return { variant: leaders[0]!.id, reason: 'tie', at };
  return { variant: leaders[0]!.id, reason: 'metric', at };
}

/**
 * When a test campaign launched at `launchedAt` is decided: `decideAfterSeconds` after its test share was mailed. A
 * share that waited for its local time or the end of quiet hours (`waits`: the campaign's wait items, their `until`
 * and how many still wait) was mailed when the last of those moments came, so the test runs from then; `undefined`
 * while anyone still waits (their mail has not gone yet).
 *
 * @example
 * decideAt('2026-12-01T20:00:00Z', 3_600, [])                                              // 21:00
 * decideAt('2026-12-01T20:00:00Z', 3_600, [{ until: '2026-12-02T08:00:00Z', n: 0 }])      // 09:00 the next day
 * decideAt('2026-12-01T20:00:00Z', 3_600, [{ until: '2026-12-02T08:00:00Z', n: 3 }])      // undefined
 */
export function decideAt(launchedAt: string, decideAfterSeconds: number, waits: ReadonlyArray<{ readonly until: string; readonly n: number }> = []): Date | undefined {
  if (waits.some((w) => w.n > 0)) return undefined;
  const mailed = Math.max(Date.parse(launchedAt), ...waits.map((w) => Date.parse(w.until)));
  return new Date(mailed + decideAfterSeconds * 1000);
}

/** A variant's template and subject over the campaign's: what its recipients get. */
export function variantContent<T extends { readonly subject: string }>(base: T, variant: Pick<Variant, 'subject'> | undefined): T {
  return variant?.subject !== undefined ? { ...base, subject: variant.subject } : base;
}
