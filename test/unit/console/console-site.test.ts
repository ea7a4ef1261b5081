/**
 * The console's build and the local gateway's static site: the three files with relative asset URLs, the content
 * types, the SPA fallback for client routes, a 404 for a missing file, config.json, caching and the CSP.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildConsoleSync, indexHtml } from '../../../console/build.ts';
import { CONSOLE_CSP, consoleCsp, consoleSite } from '../../../local/console.ts';

let server: Server;
let base: string;

beforeAll(async () => {
  const site = consoleSite({ outDir: mkdtempSync(join(tmpdir(), 'sendwell-console-test-')) });
  server = createServer((req, res) => void site.handle(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const a = server.address();
  base = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
}, 60_000);
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('buildConsoleSync', () => {
  it('writes index.html, app.js and app.css; the HTML points at them relatively, under a base', () => {
    const out = mkdtempSync(join(tmpdir(), 'sendwell-console-build-'));
    const { files } = buildConsoleSync({ outDir: out, minify: true });
    expect(files.map((f) => basename(f))).toEqual(['index.html', 'app.js', 'app.css']);
    const html = readFileSync(join(out, 'index.html'), 'utf8');
    expect(html).toContain('<base href="/console/">');
    expect(html).toContain('<script src="app.js" defer></script>');
    expect(html).toContain('<link rel="stylesheet" href="app.css">');
    expect(html).not.toMatch(/<script>|<style>|src="\/|href="\/(?!console\/")/);
    // Preact and uPlot are in the bundle; nothing is fetched from elsewhere.
    const js = readFileSync(join(out, 'app.js'), 'utf8');
    expect(js).not.toMatch(/cdn\.|unpkg|jsdelivr/);
    expect(readFileSync(join(out, 'app.css'), 'utf8')).toContain('.uplot');
  });

  it('refuses a base that is not a path ending in a slash', () => {
    expect(() => indexHtml('console')).toThrow(/base/);
    expect(() => indexHtml('/console"><script>')).toThrow(/base/);
  });
});

describe('the static site', () => {
  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${base}${path}`, { headers, redirect: 'manual' });

  it('serves the files with their types, the CSP and revalidation', async () => {
    for (const [path, type] of [
      ['/console/', 'text/html; charset=utf-8'],
      ['/console/app.js', 'text/javascript; charset=utf-8'],
      ['/console/app.css', 'text/css; charset=utf-8'],
    ] as const) {
      const r = await get(path);
      expect(r.status, path).toBe(200);
      expect(r.headers.get('content-type')).toBe(type);
      expect(r.headers.get('content-security-policy')).toBe(CONSOLE_CSP);
      expect(r.headers.get('x-content-type-options')).toBe('nosniff');
      expect(r.headers.get('cache-control')).toBe('no-cache');
      const again = await get(path, { 'if-none-match': r.headers.get('etag')! });
      expect(again.status).toBe(304);
    }
    expect(CONSOLE_CSP).toContain("script-src 'self'");
    expect(CONSOLE_CSP).not.toMatch(/script-src[^;]*unsafe/);
  });

  it('answers client routes with index.html, and a missing file with 404', async () => {
    const index = await (await get('/console/')).text();
    expect(await (await get('/console/campaigns/cmp_123')).text()).toBe(index);
    expect(await (await get('/console/people/rcp_1')).text()).toBe(index);
    expect((await get('/console/nope.js')).status).toBe(404);
    const bare = await get('/console');
    expect(bare.status).toBe(301);
    expect(bare.headers.get('location')).toBe('/console/');
  });

  it('tells the console to ask for a key, never cached', async () => {
    const r = await get('/console/config.json');
    expect(r.headers.get('cache-control')).toBe('no-store');
    expect(await r.json()).toEqual({ auth: { kind: 'key' }, apiBase: '' });
  });

  it('lets the console call the Cognito domain (the token request) and nothing else', () => {
    expect(CONSOLE_CSP).toContain("connect-src 'self';");
    // Plain http on loopback: upgrading the console's own calls to https would break them.
    expect(CONSOLE_CSP).not.toContain('upgrade-insecure-requests');
    const csp = consoleCsp({ auth: { kind: 'cognito', domain: 'https://pool.auth.eu-west-1.amazoncognito.com/', clientId: 'c' } });
    expect(csp).toContain("connect-src 'self' https://pool.auth.eu-west-1.amazoncognito.com;");
  });

  it('takes only GET and HEAD', async () => {
    expect((await fetch(`${base}/console/`, { method: 'POST' })).status).toBe(405);
    const head = await fetch(`${base}/console/app.js`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });
});
