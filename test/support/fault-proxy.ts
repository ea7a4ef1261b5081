/**
 * A fault-injecting HTTP proxy on loopback, in front of a local server (the local SES): it passes requests through,
 * or answers every request with a server error, or is down (its port refuses connections) — an outage as a client
 * sees it over the network, with nothing mocked inside the client or the server. In `error` and `down` modes the
 * upstream never sees the request: nothing was accepted.
 */
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export type FaultMode = 'pass' | 'error' | 'down';

export interface FaultProxy {
  readonly endpoint: string;
  /** Requests answered with an error, and connections refused by being down (counted on the next start). */
  readonly counts: { passed: number; errored: number };
  mode(): FaultMode;
  /** `error`: 503 ServiceUnavailable to everything; `down`: stop listening (connection refused); `pass`: forward. */
  setMode(mode: FaultMode): Promise<void>;
  stop(): Promise<void>;
}

export async function startFaultProxy(upstream: string, host = '127.0.0.1'): Promise<FaultProxy> {
  const target = new URL(upstream);
  let mode: FaultMode = 'pass';
  const counts = { passed: 0, errored: 0 };
  const sockets = new Set<Socket>();

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    if (mode !== 'pass') {
      counts.errored++;
      req.resume();
      res.writeHead(503, { 'content-type': 'application/json', 'x-amzn-errortype': 'ServiceUnavailable' });
      res.end(JSON.stringify({ message: 'Service Unavailable (injected by the fault proxy)' }));
      return;
    }
    counts.passed++;
    const out = request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    out.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(out);
  };

  let server: Server;
  let port = 0;
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server = createServer(handle);
      server.on('connection', (s: Socket) => {
        sockets.add(s);
        s.once('close', () => sockets.delete(s));
      });
      server.once('error', reject);
      server.listen({ host, port }, () => {
        const address = server.address();
        port = typeof address === 'object' && address ? address.port : port;
        resolve();
      });
    });
  // Going down stops listening at once; a request already forwarded still gets its answer (cutting it would be a
  // different fault: a mail accepted whose answer was lost), idle connections are closed.
  const close = async () => {
    server.close();
    server.closeIdleConnections();
  };
  const closeAll = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
  await listen();

  return {
    endpoint: `http://${host}:${port}`,
    counts,
    mode: () => mode,
    async setMode(next) {
      if (next === mode) return;
      if (mode === 'down') await listen();
      if (next === 'down') await close();
      mode = next;
    },
    async stop() {
      if (mode !== 'down') await closeAll();
    },
  };
}
