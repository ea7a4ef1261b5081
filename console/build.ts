/**
 * STUB — placeholder from branch `aws` so the CDK stack can deploy a console before the real one exists.
 * The console developer's `console/build.ts` (branch `console`) replaces this file at merge; keep its signature:
 * `buildConsoleSync({ outDir, minify? }): { files: string[] }`, synchronous (CDK's local bundling calls it), writing
 * the built single-page app into `outDir` (served under `/console/`; `config.json` is added by the deployment).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface BuildConsoleOptions {
  /** Directory the built files are written into (created if missing). */
  readonly outDir: string;
  /** @default false */
  readonly minify?: boolean;
}

/** Writes a placeholder `index.html` that says the console is not built yet. */
export function buildConsoleSync(options: BuildConsoleOptions): { files: string[] } {
  mkdirSync(options.outDir, { recursive: true });
  const html =
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sendwell console</title></head>' +
    '<body><h1>Sendwell console</h1><p>Placeholder: the console is not built in this version (stub console/build.ts).</p></body></html>\n';
  writeFileSync(join(options.outDir, 'index.html'), html);
  return { files: ['index.html'] };
}
