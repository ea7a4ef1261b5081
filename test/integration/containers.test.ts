/**
 * Every container builds on a stage whose sending settings are not set yet (a stage can manage topics and recipients
 * before it can send): the pages' base URL is read on first use, and only what needs it fails, naming the variable.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { dynamoDb } from '../../lambdas/adapters/clients.ts';
import { buildContainer } from '../../lambdas/adapters/full-container.ts';
import { leanDb } from '../../lambdas/adapters/public-container.ts';
import { publicDeps } from '../../lambdas/adapters/public-deps.ts';
import { ENV } from '../../lambdas/wiring/env-keys.ts';

const saved = process.env[ENV.publicBaseUrl];
afterEach(() => {
  if (saved === undefined) delete process.env[ENV.publicBaseUrl];
  else process.env[ENV.publicBaseUrl] = saved;
});

describe('containers without the public base URL', () => {
  it.each([
    ['the public routes’ (lean client)', () => publicDeps(leanDb())],
    ['the full container on the SDK client', () => buildContainer(dynamoDb())],
    ['the pages’ full container on the lean client', () => buildContainer(leanDb())],
  ])('%s builds, and reading the base URL names the variable', (_, build) => {
    delete process.env[ENV.publicBaseUrl];
    const deps = build();
    expect(deps.keys).toBeTypeOf('function');
    expect(() => deps.settings.publicBaseUrl).toThrow(ENV.publicBaseUrl);
  });
});
