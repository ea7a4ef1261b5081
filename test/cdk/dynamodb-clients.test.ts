/**
 * Each function bundles one DynamoDB client: the public functions the lean one (lambdas/adapters/dynamo/lean-db.ts,
 * their cold start is what a recipient waits for), every other function the SDK's (the runtime's, `external`). A
 * function that took in both would carry the cost of one for nothing; checked on the bundles `cdk deploy` ships.
 */
import { resolve } from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { lambdaEsbuildOptions } from '../../lib/bundling.ts';
import { EVENT_FUNCTIONS } from '../../lambdas/wiring/event-functions.ts';
import { FUNCTIONS, type FunctionDef } from '../../lambdas/wiring/routes.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const PUBLIC = new Set(['openPixel', 'click', 'unsubscribe', 'preferences', 'confirm']);
const ALL: Readonly<Record<string, FunctionDef>> = { ...FUNCTIONS, ...EVENT_FUNCTIONS };

async function clientsOf(def: FunctionDef): Promise<{ lean: boolean; sdk: boolean }> {
  const result = await build({ ...lambdaEsbuildOptions(resolve(ROOT, def.entry), '/tmp/unused/index.mjs', def.sdk), metafile: true, write: false });
  const inputs = Object.keys(result.metafile.inputs);
  const external = Object.values(result.metafile.outputs).flatMap((o) => o.imports.filter((i) => i.external).map((i) => i.path));
  return {
    lean: inputs.some((i) => i.endsWith('lambdas/adapters/dynamo/lean-db.ts')),
    sdk: inputs.some((i) => i.includes('node_modules/@aws-sdk/client-dynamodb/')) || external.includes('@aws-sdk/client-dynamodb'),
  };
}

describe.each(Object.keys(ALL))('function %s', (key) => {
  it(PUBLIC.has(key) ? 'sends through the lean DynamoDB client only' : 'loads no lean DynamoDB client', async () => {
    const { lean, sdk } = await clientsOf(ALL[key]!);
    if (PUBLIC.has(key)) expect({ lean, sdk }).toEqual({ lean: true, sdk: false });
    else expect(lean).toBe(false);
  });
});
