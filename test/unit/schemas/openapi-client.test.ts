/**
 * A client generated from the OpenAPI document with openapi-typescript type-checks against the example calls of
 * docs/api.md (tools/openapi-client/example.ts). The generator needs TypeScript 5's JS API, so it lives in its own
 * package with its own TypeScript: `npm ci --prefix tools/openapi-client` installs it (CI must run that first; without
 * it this test is skipped, saying so).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const dir = resolve(import.meta.dirname, '../../../tools/openapi-client');
const installed = existsSync(resolve(dir, 'node_modules/.bin/openapi-typescript')) && existsSync(resolve(dir, 'node_modules/.bin/tsc'));

describe('a client generated with openapi-typescript', () => {
  it.skipIf(!installed)('type-checks the documented example calls', async () => {
    const run = await promisify(execFile)('npm', ['run', '-s', 'check'], { cwd: dir, maxBuffer: 16 * 1024 * 1024 }).catch((e: { stdout: string; stderr: string; code: number }) => e);
    expect((run as { code?: number }).code ?? 0, `${run.stdout}\n${run.stderr}`).toBe(0);
  }, 120_000);
});
