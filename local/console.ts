/**
 * The console on the local stack: built once when `npm start` starts (console/build.ts, the same build CDK runs),
 * kept in memory, and served by the local gateway under `/console/` as a static site: the three files, the SPA
 * fallback to `index.html` for the client's routes, and `config.json` telling the console to ask for an API key.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { basename } from 'node:path';
import { buildConsoleSync } from '../console/build.ts';
import { consoleCsp as sharedConsoleCsp } from '../console/csp.ts';
import type { StaticSite } from './gateway.ts';

export const CONSOLE_PREFIX = '/console';

/** The console's policy (console/csp.ts) for a console with this config: the Cognito domain is the one other origin. */
export function consoleCsp(config?: unknown): string {
  const auth = (config as { auth?: { kind?: string; domain?: string } } | undefined)?.auth;
  return sharedConsoleCsp(auth?.kind === 'cognito' && auth.domain ? { signInOrigin: new URL(auth.domain).origin } : {});
}

/** The policy of the local stack (API keys, no identity provider). */
export const CONSOLE_CSP = consoleCsp();

const TYPES: Readonly<Record<string, string>> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
};

interface Asset {
  readonly body: Buffer;
  readonly type: string;
  readonly etag: string;
}

export interface ConsoleSiteOptions {
  /** Where the build writes its files (the local stack: `.sendwell/console`). */
  readonly outDir: string;
  /** @default true */
  readonly minify?: boolean;
  /** What `GET /console/config.json` answers. @default {auth: {kind: 'key'}, apiBase: ''} */
  readonly config?: unknown;
}

/** Builds the console and returns the gateway's handler for `/console`. Throws if the build fails. */
export function consoleSite(options: ConsoleSiteOptions): StaticSite & { readonly files: readonly string[] } {
  const { files } = buildConsoleSync({ outDir: options.outDir, minify: options.minify ?? true });
  const assets = new Map<string, Asset>();
  for (const file of files) {
    const body = readFileSync(file);
    const name = basename(file);
    assets.set(name, { body, type: TYPES[name] ?? 'application/octet-stream', etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` });
  }
  const config = Buffer.from(JSON.stringify(options.config ?? { auth: { kind: 'key' }, apiBase: '' }));
  assets.set('config.json', { body: config, type: 'application/json; charset=utf-8', etag: `"${createHash('sha256').update(config).digest('base64url').slice(0, 22)}"` });
  const csp = consoleCsp(options.config);
  return { prefix: CONSOLE_PREFIX, files, handle: (req, res) => serve(assets, csp, req, res) };
}

function serve(assets: ReadonlyMap<string, Asset>, csp: string, req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const method = (req.method ?? 'GET').toUpperCase();
  const security = {
    'content-security-policy': csp,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  };
  if (method !== 'GET' && method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8', ...security });
    res.end('Method Not Allowed');
    return;
  }
  if (url.pathname === CONSOLE_PREFIX) {
    res.writeHead(301, { location: `${CONSOLE_PREFIX}/${url.search}`, ...security });
    res.end();
    return;
  }
  const rest = url.pathname.slice(CONSOLE_PREFIX.length + 1);
  let name: string;
  if (assets.has(rest) && rest !== 'index.html') name = rest;
  // A path with an extension is a file that does not exist; anything else is one of the client's routes.
  else if (/\.[A-Za-z0-9]+$/.test(rest) && rest !== 'index.html') {
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', ...security });
    res.end('Not Found');
    return;
  } else name = 'index.html';
  const asset = assets.get(name)!;
  // The names carry no hash, so browsers revalidate every time (a 304 when nothing changed); config is never cached.
  const cache = name === 'config.json' ? 'no-store' : 'no-cache';
  if (req.headers['if-none-match'] === asset.etag && name !== 'config.json') {
    res.writeHead(304, { etag: asset.etag, 'cache-control': cache, ...security });
    res.end();
    return;
  }
  res.writeHead(200, { 'content-type': asset.type, 'content-length': asset.body.length, etag: asset.etag, 'cache-control': cache, ...security });
  res.end(method === 'HEAD' ? undefined : asset.body);
}
