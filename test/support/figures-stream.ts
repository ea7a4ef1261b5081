/**
 * The messages stream → day counters in the integration tests, as `npm start` runs it: on the shared tables one
 * reader for the whole run (shared-figures.ts, started by global-setup.ts), on a test file's own tables a reader in
 * its worker (started by own-tables.ts). The figures of an event are counted a batch after it, as on AWS: a test that
 * reads them right after an event calls {@link settleFigures} first.
 */
import { inject } from 'vitest';
import { TABLES } from '../../lambdas/wiring/tables.ts';
import { localTableName } from '../../local/handler-env.ts';
import { startStreamPoller, type RunningStreamPoller } from '../../local/stream-poller.ts';
import { FIGURES_STREAM } from '../../lambdas/wiring/event-functions.ts';
import { asFunction } from '../../local/table-access-guard.ts';

let own: RunningStreamPoller | undefined;

/** Starts the reader of this worker's own tables (prefix `prefix`); the handler reads this worker's environment. */
export async function startOwnFigures(prefix: string): Promise<RunningStreamPoller> {
  const { handler } = await import('../../lambdas/handlers/count-message-figures.ts');
  own = startStreamPoller({
    endpoint: inject('sendwell').dynamodbEndpoint,
    tableName: localTableName(TABLES.messages, prefix),
    handler: asFunction('countMessageFigures', handler),
    filters: FIGURES_STREAM.filters,
    intervalMs: 100,
  });
  return own;
}

export async function stopOwnFigures(): Promise<void> {
  await own?.stop();
  own = undefined;
}

/** Resolves once every change written to the messages table before the call is counted. */
export async function settleFigures(): Promise<void> {
  if (own) return own.drain(60_000);
  const res = await fetch(inject('sendwell').figuresDrainUrl, { method: 'POST' });
  if (!res.ok) throw new Error(`the shared figures reader did not drain: ${await res.text()}`);
}
