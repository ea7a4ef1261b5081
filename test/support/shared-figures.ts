/**
 * The day counters of the integration run's shared tables, in a process of its own (started by global-setup.ts):
 * the messages table's stream through the same handler AWS invokes, as `npm start` runs it. One reader for the
 * shared stream, since every test worker writes to it and each reader would count every record; test files on tables
 * of their own run their own reader (figures-stream.ts). A test waits for it through `POST /drain` on loopback,
 * answered once every record written before the request was counted.
 *
 * Usage: node test/support/shared-figures.ts <DynamoDB Local endpoint> <table prefix>
 */
import { createServer } from 'node:http';
import { ENV } from '../../lambdas/wiring/env-keys.ts';
import { TABLES } from '../../lambdas/wiring/tables.ts';
import { handlerEnv, localTableName } from '../../local/handler-env.ts';
import { generateKeys } from '../../local/keys.ts';
import { startStreamPoller } from '../../local/stream-poller.ts';
import { FIGURES_STREAM } from '../../lambdas/wiring/event-functions.ts';
import { asFunction, guardHandlerTables } from '../../local/table-access-guard.ts';

const [endpoint, tablePrefix] = process.argv.slice(2);
if (!endpoint || !tablePrefix) throw new Error('usage: shared-figures.ts <endpoint> <table prefix>');
// The figures handler needs no keys or SES; handlerEnv wants them, so it gets some that are never used.
Object.assign(process.env, handlerEnv({ dynamodb: endpoint, ses: 'http://127.0.0.1:1', publicBaseUrl: 'http://127.0.0.1:3000', tablePrefix, keys: generateKeys() }), {
  POWERTOOLS_LOG_LEVEL: 'WARN',
  // As in every test worker (integration-env.ts): the shared tables are never auto-paused.
  [ENV.pauseMinSent]: '1000000000',
});
await guardHandlerTables();
const { handler } = await import('../../lambdas/handlers/count-message-figures.ts');
const errors: string[] = [];
const poller = startStreamPoller({
  endpoint,
  tableName: localTableName(TABLES.messages, tablePrefix),
  handler: asFunction('countMessageFigures', handler),
  filters: FIGURES_STREAM.filters,
  // Not faster: each round describes the stream, work on DynamoDB Local's one thread that every other file waits
  // behind (measured at 20 rounds a second: ~15 % of a core, while a late stream's walk made describing it costly).
  intervalMs: 200,
  onError: (e) => errors.push((e as Error).message),
});

const server = createServer((req, res) => {
  if (req.method !== 'POST' || req.url !== '/drain') return void res.writeHead(404).end();
  poller.drain(60_000).then(
    () => res.writeHead(204).end(),
    (e: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${e.message}; poller errors: ${errors.slice(-3).join(' | ')}`),
  );
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`FIGURES_DRAIN_URL http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/drain\n`);
});
const stop = () => void poller.stop().finally(() => server.close(() => process.exit(0)));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
// The run's end closes stdin: nothing is left behind if the parent dies without a signal.
process.stdin.resume();
process.stdin.once('end', stop);
