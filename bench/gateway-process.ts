/**
 * The local gateway with every real handler, in its own process, for `bench/public-endpoints.ts`. Run as a child
 * of the bench (never by hand): the bench passes the handler environment (`local/handler-env.ts`), the admin key and
 * the port in the environment, and reads `{ url }` from the IPC channel once the gateway listens on 127.0.0.1.
 *
 * Its own process so the load generator does not share an event loop with the handlers it measures (as with
 * `npm start`, where the gateway is a process of its own and the client is a browser or curl). It stops on SIGTERM
 * from the bench, and on its own when the bench goes away (the IPC channel closes), so it never outlives a run.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FUNCTIONS, ROUTES } from '../lambdas/wiring/routes.ts';
import { loadHandlers, startGateway } from '../local/gateway.ts';

export interface GatewayReady {
  readonly type: 'listening';
  readonly url: string;
  /** Milliseconds the handler modules took to import (a cold start of every function, once). */
  readonly loadMs: number;
}

const root = resolve(fileURLToPath(import.meta.url), '../..');
const adminKey = process.env.SENDWELL_BENCH_ADMIN_KEY ?? '';
const port = Number(process.env.SENDWELL_BENCH_PORT ?? '0');
if (adminKey.length < 16 || !Number.isInteger(port) || !process.send) {
  process.stderr.write('bench/gateway-process.ts is started by bench/public-endpoints.ts, not by hand\n');
  process.exit(2);
}

const loadStarted = performance.now();
const handlers = await loadHandlers(FUNCTIONS, root);
const loadMs = performance.now() - loadStarted;
const gateway = await startGateway({ routes: ROUTES, functions: FUNCTIONS, handlers, adminKey, host: '127.0.0.1', port });
// Node closes a keep-alive connection after 5 s idle; a worker that sat out a level would then race the close and
// see "socket hang up". Idle connections stay open for the length of a run instead (the bench closes them).
gateway.server.keepAliveTimeout = 120_000;
gateway.server.headersTimeout = 121_000;

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  void gateway.stop().finally(() => process.exit(0));
  // Open keep-alive sockets or a stuck handler must not keep the process alive.
  setTimeout(() => process.exit(0), 2000).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.on('disconnect', stop);

const ready: GatewayReady = { type: 'listening', url: gateway.url, loadMs };
process.send?.(ready);
