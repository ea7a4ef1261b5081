/**
 * What a deployer sets, read from CDK context and checked once, and the app around the stack: cdk-nag's AWS Solutions
 * pack as a validation plugin, so a finding nobody acknowledged fails the synth. `bin/sendwell.ts` and the CDK tests
 * build the app through here, so they synthesize the same thing.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { Node } from 'constructs';
import { isBareAddress } from '../lambdas/domain/email-address.ts';
import { AwsLimitsChecks } from './aws-limits.ts';
import { assertDomainPrefix } from './console-auth.ts';
import { assertDomain } from './sending-domain.ts';
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
  /** The sending domain's SES identity, DNS records and deliverability switches (lib/sending-domain.ts, lib/email.ts). */
  readonly sending: SendingContext;
  /**
   * `-c receiptRuleSet=<name>`: an existing receipt rule set (the account's active one) to add the mailto rule to,
   * instead of creating `sendwell-<stage>-inbound`: only one rule set per account and region can be active.
   */
  readonly receiptRuleSet?: string;
  /** `-c senderName=Acme`: the sender's name on the recipient pages; default the display name of `fromAddress`. */
  readonly senderName?: string;
  /** `-c logoUrl=https://…/logo.png`: a logo on the recipient pages (https). */
  readonly logoUrl?: string;
}

/** Context of the sending domain (docs/deploy.md, "The sending domain"). */
export interface SendingContext {
  /** `-c sendingDomain=mail.example.com`; default the domain of `fromAddress`. */
  readonly domain?: string;
  /** `-c emailIdentity=create|import`: create the SES identity (default) or use one that exists in the account. */
  readonly identity: 'create' | 'import';
  /** `-c mailFromSubdomain=bounce` (default): MAIL FROM is `<it>.<domain>`. */
  readonly mailFromSubdomain?: string;
  /** `-c hostedZoneId=Z… [-c hostedZoneName=example.com]`: write the DNS records into that Route 53 zone. */
  readonly hostedZoneId?: string;
  readonly hostedZoneName?: string;
  /** `-c dmarcPolicy=none|quarantine|reject` (default none), `-c dmarcReportAddress=dmarc@example.com`. */
  readonly dmarcPolicy?: 'none' | 'quarantine' | 'reject';
  readonly dmarcReportAddress?: string;
  /** `-c createDmarcRecord=false` when the domain already publishes a DMARC record. Default true with a zone. */
  readonly createDmarcRecord?: boolean;
  /** `-c vdm=true`: Virtual Deliverability Manager on the configuration set; `-c accountVdm=true` also for the account. */
  readonly vdm: boolean;
  readonly accountVdm: boolean;
  /** `-c dedicatedIpPool=managed|<existing pool name>`. */
  readonly dedicatedIpPool?: string;
}

const EMAIL_IN = /[^\s<>@]+@[^\s<>@]+\.[^\s<>@]+/;

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

/** `true`/`false` from context (a boolean in cdk.json, a string from `-c key=value`); a problem when it is neither. */
function optionalBoolean(node: Node, key: string, problems: string[]): boolean | undefined {
  const value: unknown = node.tryGetContext(key);
  if (value === undefined || value === null || value === '') return undefined;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  problems.push(`${key} "${String(value)}" must be true or false.`);
  return undefined;
}

/** One of `allowed` from context; a problem naming them when it is another value. */
function optionalChoice<T extends string>(node: Node, key: string, allowed: readonly T[], problems: string[]): T | undefined {
  const value = optionalString(node, key);
  if (value === undefined) return undefined;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  problems.push(`${key} "${value}" must be one of ${allowed.join(', ')}.`);
  return undefined;
}

function readSendingContext(node: Node, fromDomain: string | undefined, problems: string[]): SendingContext {
  const domain = optionalString(node, 'sendingDomain')?.toLowerCase() ?? fromDomain?.toLowerCase();
  const check = (value: string | undefined, what: string) => {
    if (value === undefined) return;
    try {
      assertDomain(value, what);
    } catch (e) {
      problems.push((e as Error).message.replace(/^Sendwell: /, ''));
    }
  };
  check(domain, 'sendingDomain');
  if (domain && fromDomain && fromDomain.toLowerCase() !== domain && !fromDomain.toLowerCase().endsWith(`.${domain}`)) {
    problems.push(`sendingDomain "${domain}" is not the domain of fromAddress (${fromDomain}) or a parent of it: DKIM would not align with From.`);
  }
  const hostedZoneId = optionalString(node, 'hostedZoneId');
  const hostedZoneName = optionalString(node, 'hostedZoneName')?.toLowerCase().replace(/\.$/, '');
  check(hostedZoneName, 'hostedZoneName');
  if (hostedZoneId !== undefined && !/^Z[A-Z0-9]{1,31}$/.test(hostedZoneId)) problems.push(`hostedZoneId "${hostedZoneId}" is not a Route 53 hosted zone id (Z…).`);
  if (hostedZoneId !== undefined && domain === undefined) problems.push('hostedZoneId needs a sending domain (fromAddress or sendingDomain).');
  const zoneName = hostedZoneName ?? domain;
  if (hostedZoneId !== undefined && domain && zoneName && domain !== zoneName && !domain.endsWith(`.${zoneName}`)) {
    problems.push(`hostedZoneName "${zoneName}" does not hold the sending domain "${domain}".`);
  }
  const dmarcReportAddress = optionalString(node, 'dmarcReportAddress');
  if (dmarcReportAddress !== undefined && !isBareAddress(dmarcReportAddress)) problems.push(`dmarcReportAddress "${dmarcReportAddress}" is not a bare email address.`);
  const dedicatedIpPool = optionalString(node, 'dedicatedIpPool');
  if (dedicatedIpPool !== undefined && !/^[A-Za-z0-9_-]{1,64}$/.test(dedicatedIpPool)) problems.push(`dedicatedIpPool "${dedicatedIpPool}" is not "managed" or a pool name (letters, digits, _ and -).`);
  const createDmarcRecord = optionalBoolean(node, 'createDmarcRecord', problems);
  const mailFromSubdomain = optionalString(node, 'mailFromSubdomain')?.toLowerCase();
  if (mailFromSubdomain !== undefined && !/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(mailFromSubdomain)) problems.push(`mailFromSubdomain "${mailFromSubdomain}" is not one DNS label (e.g. bounce).`);
  const dmarcPolicy = optionalChoice(node, 'dmarcPolicy', ['none', 'quarantine', 'reject'] as const, problems);
  return {
    identity: optionalChoice(node, 'emailIdentity', ['create', 'import'] as const, problems) ?? 'create',
    vdm: optionalBoolean(node, 'vdm', problems) ?? false,
    accountVdm: optionalBoolean(node, 'accountVdm', problems) ?? false,
    ...(domain !== undefined ? { domain } : {}),
    ...(mailFromSubdomain !== undefined ? { mailFromSubdomain } : {}),
    ...(hostedZoneId !== undefined ? { hostedZoneId } : {}),
    ...(hostedZoneName !== undefined ? { hostedZoneName } : {}),
    ...(dmarcPolicy !== undefined ? { dmarcPolicy } : {}),
    ...(dmarcReportAddress !== undefined ? { dmarcReportAddress } : {}),
    ...(createDmarcRecord !== undefined ? { createDmarcRecord } : {}),
    ...(dedicatedIpPool !== undefined ? { dedicatedIpPool } : {}),
  };
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
    if (!isBareAddress(unsubscribeMailbox)) {
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
  const fromDomain = fromAddress !== undefined ? EMAIL_IN.exec(fromAddress)?.[0]?.split('@')[1] : undefined;
  const sending = readSendingContext(node, fromDomain, problems);
  const receiptRuleSet = optionalString(node, 'receiptRuleSet');
  if (receiptRuleSet !== undefined && !/^[A-Za-z0-9_.-]{1,64}$/.test(receiptRuleSet)) problems.push(`receiptRuleSet "${receiptRuleSet}" is not a receipt rule set name.`);
  if (receiptRuleSet !== undefined && unsubscribeMailbox === undefined) problems.push('receiptRuleSet is only used with unsubscribeMailbox.');
  const senderName = optionalString(node, 'senderName');
  const logoUrl = optionalString(node, 'logoUrl');
  if (logoUrl !== undefined && !/^https:\/\/[^\s"'<>]+$/.test(logoUrl)) problems.push(`logoUrl "${logoUrl}" must be an https URL.`);
  if (problems.length > 0) throw new Error(`Sendwell context is invalid:\n- ${problems.join('\n- ')}`);
  return {
    ...(senderName !== undefined ? { senderName } : {}),
    ...(logoUrl !== undefined ? { logoUrl } : {}), stage, fromAddress, publicBaseUrl, postalAddress, alarmEmail, unsubscribeMailbox, sendRate, consoleDomainPrefix, sending, ...(receiptRuleSet ? { receiptRuleSet } : {}) };
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
  // AWS's own limits (policy sizes, resource counts, duplicate names), which neither synth nor cdk-nag sees.
  Validations.of(app).addPlugins(new AwsLimitsChecks());
  return stack;
}
