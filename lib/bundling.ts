/**
 * How every Sendwell Lambda is bundled, in one place: `lib/functions.ts` hands {@link lambdaBundling} (the function's
 * SDK mode, `FunctionDef.sdk`) to `NodejsFunction`, and the cold-start bench (`bench/cold-start.ts`) and the bundle
 * tests (test/cdk/public-bundles.test.ts) turn the very same values into esbuild API options with
 * {@link lambdaEsbuildOptions}, so they measure the bundles `cdk deploy` ships.
 */
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type { BuildOptions } from 'esbuild';

export const LAMBDA_RUNTIME = lambda.Runtime.NODEJS_24_X;

/**
 * `NODE_OPTIONS` of every function: stack traces point into the TypeScript sources through the bundled source maps
 * (Node reads the map when the module loads; the cold-start bench runs with it too).
 */
export const LAMBDA_NODE_OPTIONS = '--enable-source-maps';

/**
 * Lets bundled CommonJS dependencies `require()` Node built-ins from inside the ESM bundle (esbuild's `__require` shim
 * throws "Dynamic require is not supported" otherwise). Powertools Tracer pulls in the CommonJS X-Ray SDK.
 */
const ESM_REQUIRE_BANNER = "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);";

/** The esbuild settings of every function (NodejsFunction `bundling`, without the per-function command hooks). */
export const LAMBDA_BUNDLING = {
  format: nodejs.OutputFormat.ESM,
  mainFields: ['module', 'main'],
  banner: ESM_REQUIRE_BANNER,
  minify: true,
  // esbuild's per-bundle size report would fill every synth and test run; sizes are in docs/BENCHMARKS.md.
  logLevel: nodejs.LogLevel.WARNING,
  sourceMap: true,
  // Line mapping without embedding the sources: a smaller bundle to load at cold start.
  sourcesContent: false,
  // Trade-off: the runtime's AWS SDK v3 keeps bundles small and deploys fast, but its version is whatever the
  // Lambda runtime ships (not the lockfile), loading it is not tree-shaken, and behaviour can move under us on a
  // runtime update. A function where cold start matters more bundles it instead (FunctionDef.sdk, lambdaBundling).
  externalModules: ['@aws-sdk/*'],
} satisfies nodejs.BundlingOptions;

/**
 * Where a function's AWS SDK comes from: `external`, the Lambda runtime's copy (imported whole at init, from many
 * files); `bundled`, only the clients and commands the function imports, tree-shaken into its one file (AWS's advice
 * for cold starts, measured by `npm run bench:cold`).
 */
export type SdkBundling = 'external' | 'bundled';

/**
 * What stays out of a `bundled` SDK: the credential providers the default chain reaches only where the environment
 * holds no credentials (never on Lambda, which sets them; imported lazily by the chain, so never loaded there), and
 * the clients Sendwell loads on first use only (SES, SQS, Secrets Manager: lambdas/adapters/clients.ts, keys.ts).
 * Those come from the runtime's SDK if ever reached, as with `external`.
 */
export const SDK_LOADED_ON_USE = [
  '@aws-sdk/credential-provider-http',
  '@aws-sdk/credential-provider-ini',
  '@aws-sdk/credential-provider-login',
  '@aws-sdk/credential-provider-process',
  '@aws-sdk/credential-provider-sso',
  '@aws-sdk/credential-provider-web-identity',
  '@aws-sdk/nested-clients',
  '@aws-sdk/token-providers',
  '@smithy/credential-provider-imds',
  '@aws-sdk/client-sesv2',
  '@aws-sdk/client-sqs',
  '@aws-sdk/client-secrets-manager',
];

/** {@link LAMBDA_BUNDLING} for a function whose SDK is `sdk`. */
export function lambdaBundling(sdk: SdkBundling = 'external') {
  return sdk === 'bundled' ? { ...LAMBDA_BUNDLING, bundleAwsSDK: true, externalModules: SDK_LOADED_ON_USE } : { ...LAMBDA_BUNDLING, bundleAwsSDK: false };
}

/** esbuild's target for a runtime, as NodejsFunction derives it: `nodejs24.x` → `node24`. */
export function esbuildTarget(runtime: lambda.Runtime): string {
  const major = /^nodejs(\d+)/.exec(runtime.name)?.[1];
  if (!major) throw new Error(`Sendwell: cannot derive an esbuild target from the runtime ${runtime.name}`);
  return `node${major}`;
}

/**
 * {@link LAMBDA_BUNDLING} as esbuild API options (what NodejsFunction passes to the esbuild CLI: `--bundle`,
 * `--platform=node`, `--target` from the runtime), writing `entry`'s bundle to `outfile`.
 */
export function lambdaEsbuildOptions(entry: string, outfile: string, sdk: SdkBundling = 'external'): BuildOptions {
  const b = lambdaBundling(sdk);
  return {
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: esbuildTarget(LAMBDA_RUNTIME),
    format: b.format === nodejs.OutputFormat.ESM ? 'esm' : 'cjs',
    mainFields: b.mainFields,
    banner: { js: b.banner },
    minify: b.minify,
    sourcemap: b.sourceMap,
    sourcesContent: b.sourcesContent,
    external: b.externalModules,
    logLevel: 'warning',
  };
}
