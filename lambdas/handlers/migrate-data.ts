/**
 * Every 5 minutes (EventBridge Scheduler; every minute on the local stack): the data migrations still to do. Today one:
 * suppressions of the old layout (one item per reason) moved to one item per address (suppression-store.ts). Once it
 * is done, a run reads one item and returns.
 */
import { container } from '../adapters/container.ts';
import { logger } from '../adapters/logger.ts';
import type { MigrationProgress } from '../adapters/dynamo/suppression-store.ts';

/** What one run moves at most for: well inside the function's 300 s, so a run ends by itself and the next goes on. */
export const MIGRATE_BUDGET_MS = 240_000;

export const handler = async (): Promise<{ suppressions: MigrationProgress }> => {
  const deps = container();
  const suppressions = await deps.suppressions.migrateStep(deps.clock, MIGRATE_BUDGET_MS);
  if (suppressions.moved > 0 || suppressions.state === 'more') logger.info('data migration', { suppressions });
  return { suppressions };
};
