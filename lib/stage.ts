/**
 * What a deployment stage name means. One place decides which stages are production, so data retention, deletion
 * protection and log retention cannot disagree about it.
 */

/** Lower-case letter first, then letters, digits or hyphens; short enough for every resource name it goes into. */
const STAGE_PATTERN = /^[a-z][a-z0-9-]{0,19}$/;

/**
 * Whether a stage holds real recipients' data: `prod`, `production` or `prod-<anything>` (`prod-eu`).
 *
 * @example
 * isProductionStage('prod-eu'); // true
 * isProductionStage('dev');     // false
 */
export function isProductionStage(stage: string): boolean {
  return stage === 'prod' || stage === 'production' || stage.startsWith('prod-');
}

/** Throws a message naming the rule when `stage` cannot be used in resource names. */
export function assertStageName(stage: string): string {
  if (!STAGE_PATTERN.test(stage)) {
    throw new Error(
      `Sendwell: stage "${stage}" is not valid. Use 1-20 characters: a lower-case letter, then lower-case letters, digits or hyphens (e.g. -c stage=dev).`,
    );
  }
  return stage;
}
