/**
 * What a deployer sets, read from CDK context and checked once, and the app around the stack: cdk-nag's AWS Solutions
 * pack as a validation plugin, so a finding nobody acknowledged fails the synth. `bin/sendwell.ts` and the CDK tests
 * build the app through here, so they synthesize the same thing.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { Node } from 'constructs';
import { z } from 'zod';
import { assertDomainPrefix } from './console-auth.ts';
import { SendwellStack } from './sendwell-stack.ts';
import { assertStageName, isProductionStage } from './stage.ts';

/**
 * The deployment parameters, as CDK context (`cdk deploy -c stage=prod -c fromAddress=…`, or `context` in cdk.json).
 */
export interface DeployerContext {
  /** `-c stage=…`: deployment stage; `prod`, `production` and `prod-*` are production. Default `dev`. */
  readonly stage: string;
  /** `-c fromAddress=…`: SES identity used as From, bare or `Name <address>`. Required on production stages. */
  readonly fromAddress?: string;
  /** `-c publicBaseUrl=https://…`: custom domain for links in mail. Default: the HTTP API's own URL. */
  readonly publicBaseUrl?: string;
  /** `-c postalAddress=…`: postal address in marketing mail footers. Required on production stages. */
  readonly postalAddress?: string;
  /** `-c alarmEmail=…`: where alarm notifications go (email subscription to the alarm topic, lib/alarms.ts). Optional. */
  readonly alarmEmail?: string;
  /**
   * `-c unsubscribeMailbox=unsubscribe@mail.example.com`: bare address SES receives `mailto:` unsubscribe requests at
   * (`lib/inbound-mail.ts`). Optional; needs `fromAddress` and `postalAddress`.
   */
  readonly unsubscribeMailbox?: string;
  /**
   * `-c sendRate=50`: campaign mails per second when a campaign sets no rate, greater than 0; at most the SES account's
   * maximum send rate. Default 14 (SES's default out of the sandbox; see docs/deploy.md to size it).
   */
  readonly sendRate?: number;
  /**
   * `-c consoleDomainPrefix=sendwell-acme-prod`: prefix of the console's Cognito domain
   * (`https://<prefix>.auth.<region>.amazoncognito.com`), free in the region across AWS. Default `sendwell-<stage>-<account id>`.
   */
  readonly consoleDomainPrefix?: string;
}

const EMAIL_IN = /[^\s<>@]+@[^\s<>@]+\.[^\s<>@]+/;

/**
 * A bare address, checked exactly as the functions check `SENDWELL_UNSUBSCRIBE_MAILBOX` at cold start
 * (`z.email()` in lambdas/adapters/container.ts): a value this accepts cannot fail every function's cold start.
 */
const BARE_EMAIL = z.email();

function optionalString(node: Node, key: string): string | undefined {
  const value: unknown = node.tryGetContext(key);
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new Error(`Sendwell: context "${key}" must be a string, got ${typeof value}.`);
  return value.trim();
}

/** A number greater than 0 from context (a number in cdk.json, a string from `-c key=value`); a problem when it is not. */
function optionalPositiveNumber(node: Node, key: string, problems: string[], example: string): number | undefined {
  const value: unknown = node.tryGetContext(key);
  if (value === undefined || value === null || value === '') return undefined;
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : Number.NaN;
  if (Number.isFinite(n) && n > 0) return n;
  problems.push(`${key} "${String(value)}" is not a number greater than 0 (${example}).`);
  return undefined;
}

/** Reads and checks the deployer's context; throws one message naming every problem. */
export function readDeployerContext(node: Node): DeployerContext {
  const problems: string[] = [];
  const stage = assertStageName(optionalString(node, 'stage') ?? 'dev');
  const fromAddress = optionalString(node, 'fromAddress');
  const postalAddress = optionalString(node, 'postalAddress');
  const alarmEmail = optionalString(node, 'alarmEmail');
  const unsubscribeMailbox = optionalString(node, 'unsubscribeMailbox');
  const sendRate = optionalPositiveNumber(node, 'sendRate', problems, "mails per second, e.g. -c sendRate=50: at most the SES account's maximum send rate");
  let publicBaseUrl = optionalString(node, 'publicBaseUrl');
  const consoleDomainPrefix = optionalString(node, 'consoleDomainPrefix');
  if (consoleDomainPrefix !== undefined) {
    try {
      assertDomainPrefix(consoleDomainPrefix);
    } catch (e) {
      problems.push((e as Error).message.replace(/^Sendwell: /, ''));
    }
  }

  if (fromAddress !== undefined && !EMAIL_IN.test(fromAddress)) {
    problems.push(`fromAddress "${fromAddress}" holds no email address (e.g. "Sendwell <no-reply@example.com>").`);
  }
  if (alarmEmail !== undefined && !EMAIL_IN.test(alarmEmail)) problems.push(`alarmEmail "${alarmEmail}" is not an email address.`);
  if (unsubscribeMailbox !== undefined) {
    if (!BARE_EMAIL.safeParse(unsubscribeMailbox).success) {
      problems.push(`unsubscribeMailbox "${unsubscribeMailbox}" is not a bare email address (e.g. "unsubscribe@mail.example.com").`);
    }
    // The mailto function builds the shared container, which refuses to start without the sending settings; and
    // marketing mail, the only mail carrying the mailto URI, cannot be sent without them either.
    for (const [name, value] of [['fromAddress', fromAddress], ['postalAddress', postalAddress]] as const) {
      if (value === undefined) problems.push(`${name} is required with unsubscribeMailbox (the mailto function reads it at cold start).`);
    }
  }
  if (publicBaseUrl !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(publicBaseUrl);
    } catch {
      problems.push(`publicBaseUrl "${publicBaseUrl}" is not a URL.`);
    }
    if (url && url.protocol !== 'https:') problems.push(`publicBaseUrl "${publicBaseUrl}" must use https.`);
    if (url && (url.search || url.hash)) problems.push(`publicBaseUrl "${publicBaseUrl}" must not have a query or fragment.`);
    publicBaseUrl = publicBaseUrl.replace(/\/+$/, '');
  }
  if (isProductionStage(stage)) {
    if (fromAddress === undefined) problems.push(`fromAddress is required on production stage "${stage}".`);
    if (postalAddress === undefined) problems.push(`postalAddress is required on production stage "${stage}" (marketing mail must show one).`);
  }
  if (problems.length > 0) throw new Error(`Sendwell context is invalid:\n- ${problems.join('\n- ')}`);
  return { stage, fromAddress, publicBaseUrl, postalAddress, alarmEmail, unsubscribeMailbox, sendRate, consoleDomainPrefix };
}

/** CloudFormation stack name of a stage: stages sharing an account and region never update each other's stack. */
export const stackName = (stage: string): string => `Sendwell-${stage}`;

/**
 * Builds Sendwell in `app`: the stack (construct id `Sendwell`) from the deployer's context, and cdk-nag's AWS
 * Solutions checks as a validation plugin. Findings fail the synth and are written to `validation-report.json` in the
 * cloud assembly.
 */
export function createSendwellApp(app: App): SendwellStack {
  const ctx = readDeployerContext(app.node);
  const stack = new SendwellStack(app, 'Sendwell', {
    stackName: stackName(ctx.stage),
    description: `Sendwell (${ctx.stage}): email and communication-preference pipeline.`,
    // Account and region of the deploying credentials when there are some; an environment-agnostic template otherwise.
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
    ...ctx,
  });
  // writeSuppressionsToCloudFormation: every acknowledgement and its reason is also in the template's resource
  // Metadata (`cdk_nag.rules_to_suppress`), where a reviewer of the template can read it.
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { writeSuppressionsToCloudFormation: true }));
  return stack;
}
