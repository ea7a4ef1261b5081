/**
 * Builds the console: one script (`app.js`, Preact + uPlot + the screens), one stylesheet (`app.css`) and
 * `index.html`. Synchronous on purpose: CDK calls it while it synthesizes (the stack deploys the files), and
 * `npm start` calls it before it serves them.
 *
 * Asset URLs in `index.html` are relative (`app.js`, not `/console/app.js`); a `<base href>` (default `/console/`)
 * makes them resolve from deep links such as `/console/campaigns/cmp_1` too, and tells the client router where it
 * lives. Nothing is inlined, so the page runs under a CSP without `unsafe-inline` scripts.
 *
 * @example
 * const { files } = buildConsoleSync({ outDir: 'cdk.out/console', minify: true });
 */
import { buildSync } from 'esbuild';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface BuildConsoleOptions {
  /** Created when missing; `index.html`, `app.js` and `app.css` are written into it. */
  readonly outDir: string;
  /** @default true */
  readonly minify?: boolean;
  /**
   * The path the console is served under, ending in `/`.
   *
   * @default '/console/'
   */
  readonly base?: string;
}

export interface BuiltConsole {
  /** Absolute paths of the files written. */
  readonly files: string[];
}

const here = dirname(fileURLToPath(import.meta.url));

/** The HTML shell. No inline script or style: everything the page runs comes from `app.js` and `app.css`. */
export function indexHtml(base: string): string {
  if (!/^\/(?:[A-Za-z0-9._~-]+\/)*$/.test(base)) throw new Error(`base must be a path ending in "/", not ${JSON.stringify(base)}`);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<base href="${base}">
<title>Sendwell console</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="app.css">
<script src="app.js" defer></script>
</head>
<body>
<div id="app"><p class="boot">Loading the Sendwell console…</p></div>
<noscript><p>The Sendwell console needs JavaScript.</p></noscript>
</body>
</html>
`;
}

export function buildConsoleSync(options: BuildConsoleOptions): BuiltConsole {
  const outDir = resolve(options.outDir);
  const minify = options.minify ?? true;
  mkdirSync(outDir, { recursive: true });
  const common = {
    bundle: true,
    minify,
    write: true,
    logLevel: 'silent' as const,
    legalComments: 'none' as const,
    target: ['chrome120', 'firefox120', 'safari17'],
  };
  buildSync({
    ...common,
    entryPoints: [join(here, 'src/main.tsx')],
    outfile: join(outDir, 'app.js'),
    format: 'iife',
    platform: 'browser',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    // The app must never read a Node global; a stray `process.env` fails here rather than in the browser.
    define: { 'process.env.NODE_ENV': minify ? '"production"' : '"development"' },
    sourcemap: minify ? false : 'inline',
  });
  buildSync({ ...common, entryPoints: [join(here, 'src/app.css')], outfile: join(outDir, 'app.css'), loader: { '.css': 'css' } });
  const html = join(outDir, 'index.html');
  writeFileSync(html, indexHtml(options.base ?? '/console/'));
  return { files: [html, join(outDir, 'app.js'), join(outDir, 'app.css')] };
}
