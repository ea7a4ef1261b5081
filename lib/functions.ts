/**
 * How Sendwell builds a Lambda function, whatever invokes it (an HTTP route in `lib/http-api.ts`, an SES receipt rule
 * in `lib/inbound-mail.ts`): one helper, so every function gets the same runtime, bundling, role, log group, tracing
 * and environment, and is connected to the constructs it uses by its `FunctionDef` alone.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ENV } from '../lambdas/wiring/env-keys.ts';
import type { EventFunctionDef, EventSource } from '../lambdas/wiring/event-functions.ts';
import type { FunctionDef } from '../lambdas/wiring/routes.ts';
import { LAMBDA_NODE_OPTIONS, LAMBDA_RUNTIME, lambdaBundling } from './bundling.ts';
import { connectFunction, type FunctionResources } from './permissions.ts';

/** The repository root: `FunctionDef.entry` paths are relative to it, whatever the working directory of the synth. */
const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

export type PowertoolsLogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

/** What every Sendwell function of a stage shares; the props of each construct that builds functions extend it. */
export interface FunctionOptions {
  /** Deployment stage; set in `SENDWELL_STAGE`. */
  readonly stage: string;
  /** The constructs the functions use (tables, email, key secrets); they set their own environment variables and grants. */
  readonly resources: FunctionResources;
  /**
   * Retention of the function logs.
   *
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * What happens to the log groups when the stack is deleted.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly logRemovalPolicy?: RemovalPolicy;
  /**
   * `POWERTOOLS_LOG_LEVEL` of every function.
   *
   * @default 'INFO'
   */
  readonly logLevel?: PowertoolsLogLevel;
}

/** {@link FunctionOptions} with the one value that depends on where the public pages are served. */
export interface BuildFunctionOptions extends FunctionOptions {
  /** `SENDWELL_PUBLIC_BASE_URL`: base URL of the public pages, put into links in mail, without a trailing slash. */
  readonly publicBaseUrl: string;
}

/** `openapi` → `Openapi`, `mailtoUnsubscribe` → `MailtoUnsubscribe`: construct ids from function keys. */
export const pascal = (key: string): string =>
  key
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((part) => part[0]!.toUpperCase() + part.slice(1))
    .join('');

/**
 * Fails the synth when a construct is handed an event function defined for another event source: connecting it would
 * invoke its handler with events it cannot parse.
 */
export function assertEventSource(key: string, def: EventFunctionDef, source: EventSource): void {
  if (def.source !== source) throw new Error(`Sendwell: function "${key}" is invoked by "${def.source}", not by "${source}".`);
}

/** The environment every function starts with; the constructs of `resources` add theirs in {@link connectFunction}. */
function baseEnvironment(options: BuildFunctionOptions): Record<string, string> {
  return {
    [ENV.stage]: options.stage,
    [ENV.publicBaseUrl]: options.publicBaseUrl,
    POWERTOOLS_SERVICE_NAME: 'sendwell',
    POWERTOOLS_METRICS_NAMESPACE: 'Sendwell',
    POWERTOOLS_LOG_LEVEL: options.logLevel ?? 'INFO',
    // Events and responses carry email addresses and tokens: never into logs or traces.
    POWERTOOLS_LOGGER_LOG_EVENT: 'false',
    POWERTOOLS_TRACER_CAPTURE_RESPONSE: 'false',
    NODE_OPTIONS: LAMBDA_NODE_OPTIONS,
  };
}

/**
 * One Sendwell function, in a construct `pascal(key)` under `scope` (`<scope>/<Key>/Function`, `…/Role`, `…/Logs`):
 *
 * - Node.js 24 on arm64, bundled locally by esbuild into minified ESM with source maps (the runtime's AWS SDK v3, or
 *   the clients it uses bundled in where `def.sdk` says so);
 * - an explicit role, logging granted on the function's own log group only (no AWS managed policy);
 * - X-Ray active tracing, Powertools settings in the environment;
 * - connected by {@link connectFunction}: every table name, the mail settings, and exactly the grants of
 *   `def.permissions`.
 *
 * What invokes the function (an API route, a receipt rule) is the caller's concern.
 *
 * @example
 * const fn = buildFunction(this, 'health', FUNCTIONS.health, { stage, resources, publicBaseUrl });
 */
export function buildFunction(scope: Construct, key: string, def: FunctionDef, options: BuildFunctionOptions): nodejs.NodejsFunction {
  const holder = new Construct(scope, pascal(key));
  const logGroup = new logs.LogGroup(holder, 'Logs', {
    retention: options.logRetention ?? logs.RetentionDays.ONE_MONTH,
    removalPolicy: options.logRemovalPolicy ?? RemovalPolicy.RETAIN,
  });
  // An explicit role instead of the default one with AWSLambdaBasicExecutionRole (cdk-nag IAM4): logging is granted
  // on this function's own log group only.
  const role = new iam.Role(holder, 'Role', {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description: `Sendwell ${key} function`,
  });
  logGroup.grantWrite(role);

  const fn = new nodejs.NodejsFunction(holder, 'Function', {
    entry: join(REPO_ROOT, def.entry),
    handler: 'handler',
    projectRoot: REPO_ROOT,
    depsLockFilePath: join(REPO_ROOT, 'package-lock.json'),
    description: def.description,
    runtime: LAMBDA_RUNTIME,
    architecture: lambda.Architecture.ARM_64,
    memorySize: def.memorySize ?? 256,
    timeout: Duration.seconds(def.timeoutSeconds ?? 10),
    role,
    logGroup,
    tracing: lambda.Tracing.ACTIVE,
    environment: baseEnvironment(options),
    bundling: {
      ...lambdaBundling(def.sdk),
      // Files the handler reads at run time (FunctionDef.assets) go next to index.mjs.
      ...(def.assets?.length
        ? {
            commandHooks: {
              beforeBundling: () => [],
              beforeInstall: () => [],
              afterBundling: (inputDir: string, outputDir: string) => def.assets!.map((a) => `cp "${inputDir}/${a}" "${outputDir}/"`),
            },
          }
        : {}),
    },
  });

  // Tracing.ACTIVE makes CDK add xray:PutTraceSegments/PutTelemetryRecords on "*" to the role's default policy; the
  // acknowledgement goes on that policy alone, and fails loudly if CDK ever puts the statement elsewhere.
  const defaultPolicy = role.node.tryFindChild('DefaultPolicy');
  if (!defaultPolicy) throw new Error(`Sendwell: expected CDK to put the X-Ray grant of ${fn.node.path} into its role's DefaultPolicy.`);
  Validations.of(defaultPolicy).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason:
      'X-Ray active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords have no resource type, so IAM only accepts Resource "*". The CDK tests (test/cdk/sendwell-stack.test.ts, inbound-mail.test.ts) fail if "*" is ever granted for any other action.',
  });

  connectFunction(fn, def, options.resources);
  return fn;
}
