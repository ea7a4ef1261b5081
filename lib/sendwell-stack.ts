/**
 * The Sendwell stack. It only composes the constructs of `lib/` and decides, from the stage, what a stage keeps.
 */
import { CfnOutput, CfnResource, Lazy, RemovalPolicy, Stack, Tags, type StackProps } from 'aws-cdk-lib';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as route53 from 'aws-cdk-lib/aws-route53';
import type { Construct } from 'constructs';
import { EVENT_FUNCTIONS } from '../lambdas/wiring/event-functions.ts';
import { FUNCTIONS, type FunctionDef } from '../lambdas/wiring/routes.ts';
import { CampaignDelivery } from './campaign-delivery.ts';
import { CampaignQueues } from './campaign-queues.ts';
import { ConsoleApi } from './console-api.ts';
import { ConsoleAuth } from './console-auth.ts';
import { ConsoleSite } from './console-site.ts';
import { DataMigrations } from './data-migrations.ts';
import { DataTables } from './data-tables.ts';
import { DeliveryEvents } from './delivery-events.ts';
import { EmailSending } from './email.ts';
import { HttpEndpoints } from './http-api.ts';
import { InboundMail } from './inbound-mail.ts';
import { KeySecrets } from './keys.ts';
import { PartnerRelay } from './partner-relay.ts';
import { MessageFigures } from './message-figures.ts';
import { PartnerWebhooks } from './partner-webhooks.ts';
import { Alarms } from './alarms.ts';
import { FailureQueue } from './failure-queue.ts';
import { buildFunction } from './functions.ts';
import { ImportJobs } from './import-jobs.ts';
import { OperationsDashboard } from './operations-dashboard.ts';
import type { SendingContext } from './sendwell-app.ts';
import { SendingDomain } from './sending-domain.ts';
import { isProductionStage } from './stage.ts';

export interface SendwellStackProps extends StackProps {
  /** Deployment stage (`dev`, `prod`, `prod-eu`…): names resources and, through {@link isProductionStage}, sets retention. */
  readonly stage: string;
  /**
   * SES identity used as `From` (`Sendwell <no-reply@example.com>`).
   *
   * @default - unset; sending fails with a configuration error until it is set
   */
  readonly fromAddress?: string;
  /**
   * Base URL of the public pages (custom domain) used in links in mail, without a trailing slash.
   *
   * @default - the HTTP API's own endpoint
   */
  readonly publicBaseUrl?: string;
  /**
   * Postal address shown in marketing mail footers.
   *
   * @default - unset; like `fromAddress`
   */
  readonly postalAddress?: string;
  /**
   * Where alarm notifications go: an email subscription to the alarm topic of {@link Alarms} (bounce rate, complaint
   * rate, failure queues, function errors and throttles).
   *
   * @default - no subscription; the topic is still created
   */
  readonly alarmEmail?: string;
  /**
   * Bare address SES receives `mailto:` unsubscribe requests at. Builds {@link InboundMail} (receipt rule set, rule,
   * function; activate the rule set once, see there) and sets `SENDWELL_UNSUBSCRIBE_MAILBOX` on every function, which
   * adds the mailto URI to `List-Unsubscribe`.
   *
   * @default - no inbound mail resources, no variable: `List-Unsubscribe` carries the https URI only
   */
  readonly unsubscribeMailbox?: string;
  /**
   * Campaign mails per second when a campaign sets no rate of its own: at most the SES account's maximum send rate in
   * the region, less what transactional mail needs. Set on every function (`SENDWELL_SEND_RATE`) and sizes the
   * sender's concurrency (`senderConcurrency` in lib/campaign-delivery.ts). Must be greater than 0.
   *
   * @default 14 (SES's default maximum send rate out of the sandbox)
   */
  readonly sendRate?: number;
  /**
   * Prefix of the console's Cognito sign-in domain, `https://<prefix>.auth.<region>.amazoncognito.com`; must be free in
   * the region across all AWS accounts.
   *
   * @default `sendwell-<stage>-<account id>`
   */
  readonly consoleDomainPrefix?: string;
  /**
   * Retain tables and logs on stack deletion and turn on table deletion protection.
   *
   * @default isProductionStage(stage)
   */
  readonly retainData?: boolean;
  /**
   * The sending domain's identity, DNS records and deliverability switches (lib/sending-domain.ts, lib/email.ts).
   *
   * @default - identity created for the domain of `fromAddress` (none without one), no hosted zone, no VDM, shared IPs
   */
  readonly sending?: SendingContext;
  /**
   * An existing (active) receipt rule set to add the mailto rule to (lib/inbound-mail.ts).
   *
   * @default - the stack creates `sendwell-<stage>-inbound`
   */
  readonly receiptRuleSet?: string;
  /**
   * The sender's name and an https logo on the recipient pages.
   *
   * @default - the display name of `fromAddress`, no logo
   */
  readonly senderName?: string;
  readonly logoUrl?: string;
}

export class SendwellStack extends Stack {
  readonly data: DataTables;
  readonly email: EmailSending;
  readonly keys: KeySecrets;
  /** The partner webhooks secret (written by the operator, see lib/partner-webhooks.ts). */
  readonly partners: PartnerWebhooks;
  readonly api: HttpEndpoints;
  /** The import jobs' queue and its dead-letter queue; its worker is in {@link SendwellStack.functions}. */
  readonly importJobs: ImportJobs;
  /** The campaign launch and send queues and their dead-letter queues (a resource the functions enqueue into). */
  readonly campaignQueues: CampaignQueues;
  /** Launch queue → launcher, send queue → sender, the one-minute schedule → startDueCampaigns. */
  readonly campaigns: CampaignDelivery;
  /** The data migrations (`migrateData` on a schedule), deployed after every other function. */
  readonly migrations: DataMigrations;
  /** Consent ledger stream → partner webhooks, and the scheduled replay of failed deliveries. */
  readonly relay: PartnerRelay;
  /** The messages stream → the day counters (lib/message-figures.ts). */
  readonly figures: MessageFigures;
  /** SES events of the configuration set (default bus) → the SES events function. */
  readonly deliveryEvents: DeliveryEvents;
  /** The sending domain's SES identity and DNS records, when a sending domain is known (`fromAddress` or `sendingDomain`). */
  readonly sendingDomain: SendingDomain | undefined;
  /** The `mailto:` unsubscribe mailbox's receipt rule and function, when `unsubscribeMailbox` is set. */
  readonly inbound: InboundMail | undefined;
  readonly alarmEmail: string | undefined;
  /**
   * Every function of the stack, HTTP and event, by its key in `FUNCTIONS` or `EVENT_FUNCTIONS` (the keys are
   * distinct), with the definition it was built from.
   */
  readonly functions: Readonly<Record<string, { readonly def: FunctionDef; readonly fn: nodejs.NodejsFunction }>>;
  /** Alarms (rates, failure queues, errors, throttles) to an encrypted SNS topic. */
  readonly alarms: Alarms;
  /** The CloudWatch dashboard of the ops figures. */
  readonly dashboard: OperationsDashboard;
  /** Console sign-in: the Cognito user pool, its groups, the Managed Login domain and the console's app client. */
  readonly consoleAuth: ConsoleAuth;
  /** The admin routes again for console users (Cognito JWT), on the same functions as the IAM API. */
  readonly consoleApi: ConsoleApi;
  /** The console: S3 behind CloudFront, `/console/` the app, `/v1/*` the console API. */
  readonly consoleSite: ConsoleSite;

  constructor(scope: Construct, id: string, props: SendwellStackProps) {
    super(scope, id, props);
    const production = isProductionStage(props.stage);
    const retain = props.retainData ?? production;
    this.alarmEmail = props.alarmEmail;

    Tags.of(this).add('project', 'sendwell');
    Tags.of(this).add('stage', props.stage);

    this.data = new DataTables(this, 'Data', { retainData: retain });
    const sending = props.sending ?? { identity: 'create', vdm: false, accountVdm: false };
    this.email = new EmailSending(this, 'Email', {
      stage: props.stage,
      fromAddress: props.fromAddress,
      postalAddress: props.postalAddress,
      unsubscribeMailbox: props.unsubscribeMailbox,
      vdm: sending.vdm,
      accountVdm: sending.accountVdm,
      ...(sending.dedicatedIpPool ? { dedicatedIpPool: sending.dedicatedIpPool } : {}),
      ...(props.senderName ? { senderName: props.senderName } : {}),
      ...(props.logoUrl ? { logoUrl: props.logoUrl } : {}),
    });
    const sendingDomain = sending.domain ?? this.email.fromIdentity?.domain;
    this.sendingDomain =
      sendingDomain === undefined
        ? undefined
        : new SendingDomain(this, 'SendingDomain', {
            domain: sendingDomain.toLowerCase(),
            mode: sending.identity,
            configurationSet: this.email.configurationSet,
            ...(sending.mailFromSubdomain ? { mailFromSubdomain: sending.mailFromSubdomain } : {}),
            ...(sending.dmarcPolicy ? { dmarcPolicy: sending.dmarcPolicy } : {}),
            ...(sending.dmarcReportAddress ? { dmarcReportAddress: sending.dmarcReportAddress } : {}),
            ...(sending.createDmarcRecord !== undefined ? { createDmarcRecord: sending.createDmarcRecord } : {}),
            ...(sending.hostedZoneId
              ? {
                  hostedZone: route53.HostedZone.fromHostedZoneAttributes(this, 'HostedZone', {
                    hostedZoneId: sending.hostedZoneId,
                    zoneName: sending.hostedZoneName ?? sendingDomain.toLowerCase(),
                  }),
                }
              : {}),
          });
    // The pseudonymization secret is retained on every stage (see KeySecrets); the token keys follow the data.
    this.keys = new KeySecrets(this, 'Keys', { retainTokenKeys: retain });
    this.partners = new PartnerWebhooks(this, 'Partners', { retain });
    // Before any function: the admin API enqueues launches, and every function gets the send rate.
    this.campaignQueues = new CampaignQueues(this, 'CampaignQueues', { sendRate: props.sendRate, retain });
    this.importJobs = new ImportJobs(this, 'ImportJobs', { removalPolicy: retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY });
    // What every function of the stage shares, whichever construct builds it.
    const functionOptions = {
      stage: props.stage,
      resources: { data: this.data, email: this.email, keys: this.keys, partners: this.partners, campaigns: this.campaignQueues, imports: this.importJobs },
      logRetention: production ? logs.RetentionDays.THREE_MONTHS : logs.RetentionDays.ONE_MONTH,
      logRemovalPolicy: retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    };
    this.api = new HttpEndpoints(this, 'Api', { ...functionOptions, publicBaseUrl: props.publicBaseUrl });
    const publicBaseUrl = props.publicBaseUrl ?? this.api.url;

    // The console. The app client's callback URL is the distribution's, and the distribution forwards /v1/* to the API
    // whose authorizer names that client: the URL is read lazily, so each construct is built once, in this order.
    this.consoleAuth = new ConsoleAuth(this, 'ConsoleAuth', {
      stage: props.stage,
      consoleUrl: Lazy.string({ produce: () => this.consoleSite.url }),
      domainPrefix: props.consoleDomainPrefix,
      retain,
    });
    this.consoleApi = new ConsoleApi(this, 'ConsoleApi', {
      stage: props.stage,
      functions: this.api.functions,
      userPool: this.consoleAuth.userPool,
      client: this.consoleAuth.client,
      logRetention: functionOptions.logRetention,
      logRemovalPolicy: functionOptions.logRemovalPolicy,
    });
    this.consoleSite = new ConsoleSite(this, 'ConsoleSite', {
      stage: props.stage,
      apiUrl: this.consoleApi.url,
      signInOrigin: this.consoleAuth.domainUrl,
      uploadOrigin: `https://${this.importJobs.uploads.bucketRegionalDomainName}`,
      accessLogDays: production ? 90 : 30,
      config: {
        auth: {
          kind: 'cognito',
          domain: this.consoleAuth.domainUrl,
          clientId: this.consoleAuth.client.userPoolClientId,
          redirectUri: this.consoleAuth.redirectUri,
          logoutUri: this.consoleAuth.redirectUri,
        },
        apiBase: '',
      },
    });
    this.inbound =
      props.unsubscribeMailbox === undefined
        ? undefined
        : new InboundMail(this, 'Inbound', {
            ...functionOptions,
            publicBaseUrl,
            mailbox: props.unsubscribeMailbox,
            retainFailures: retain,
            ...(props.receiptRuleSet ? { existingRuleSetName: props.receiptRuleSet } : {}),
          });
    this.relay = new PartnerRelay(this, 'Relay', { ...functionOptions, publicBaseUrl, retainFailures: retain });
    this.deliveryEvents = new DeliveryEvents(this, 'DeliveryEvents', { ...functionOptions, publicBaseUrl, retainFailures: retain });
    this.figures = new MessageFigures(this, 'Figures', { ...functionOptions, publicBaseUrl, retainFailures: retain });
    this.campaigns = new CampaignDelivery(this, 'Campaigns', { ...functionOptions, publicBaseUrl });
    const importWorker = buildFunction(this.importJobs, 'importWorker', EVENT_FUNCTIONS.importWorker, { ...functionOptions, publicBaseUrl });
    this.importJobs.connectWorker(importWorker);
    const built = [this.api.functions, this.inbound?.functions ?? {}, this.relay.functions, this.deliveryEvents.functions, this.figures.functions, this.campaigns.functions, { importWorker }];
    this.migrations = new DataMigrations(this, 'Migrations', { ...functionOptions, publicBaseUrl, after: built.flatMap((b) => Object.values(b)) });
    const defs: Readonly<Record<string, FunctionDef>> = { ...FUNCTIONS, ...EVENT_FUNCTIONS };
    const functions: Record<string, { def: FunctionDef; fn: nodejs.NodejsFunction }> = {};
    for (const fns of [...built, this.migrations.functions]) {
      for (const [key, fn] of Object.entries(fns)) {
        if (Object.hasOwn(functions, key) || !Object.hasOwn(defs, key)) throw new Error(`Sendwell: function key "${key}" is built twice or not defined.`);
        functions[key] = { def: defs[key]!, fn };
      }
    }
    this.functions = functions;

    // Observability, over everything built above: every function, and every failure queue whichever construct owns it.
    const fns = Object.fromEntries(Object.entries(functions).map(([key, { fn }]) => [key, fn]));
    const failureQueues = Object.fromEntries(
      this.node
        .findAll()
        .filter((c): c is FailureQueue => c instanceof FailureQueue)
        .map((q) => [q.node.path.split('/').slice(1).join('-'), q.queue]),
    );
    // The campaign queues' dead-letter queues are failure ends too: a send batch or launch that kept failing.
    failureQueues['CampaignQueues-LaunchDeadLetterQueue'] = this.campaignQueues.launchDeadLetterQueue;
    failureQueues['CampaignQueues-SendDeadLetterQueue'] = this.campaignQueues.sendDeadLetterQueue;
    failureQueues['ImportJobs-DeadLetters'] = this.importJobs.deadLetterQueue;
    // The functions a table's stream invokes: one that falls behind holds up what the stream carries (campaign progress,
    // the day's figures, partner events).
    const streamReaders = Object.fromEntries(Object.entries(functions).filter(([, { def }]) => 'source' in def && String(def.source).endsWith('-stream')).map(([key, { fn }]) => [key, fn]));
    this.alarms = new Alarms(this, 'Alarms', { stage: props.stage, alarmEmail: props.alarmEmail, functions: fns, failureQueues, streamReaders });
    this.dashboard = new OperationsDashboard(this, 'Operations', { stage: props.stage, functions: fns, failureQueues, alarms: [...this.alarms.alarms.values()] });

    new CfnOutput(this, 'ApiUrl', { description: 'Base URL of the HTTP API', value: this.api.url });
    new CfnOutput(this, 'ConsoleUrl', { description: 'The console (sign in with a user of the console user pool)', value: this.consoleSite.url });
    new CfnOutput(this, 'ConsoleUserPoolId', {
      description: 'Console users: aws cognito-idp admin-create-user / admin-add-user-to-group (groups marketing, ops, privacy, admin; docs/deploy.md)',
      value: this.consoleAuth.userPool.userPoolId,
    });
    new CfnOutput(this, 'ConsoleSignInUrl', { description: 'Managed Login sign-in page of the console', value: this.consoleAuth.signInUrl });
    new CfnOutput(this, 'ConsoleApiUrl', { description: 'The console API (Cognito JWT); the console reaches it through CloudFront at /v1/*', value: this.consoleApi.url });
    new CfnOutput(this, 'PublicBaseUrl', { description: 'Base URL put into links in mail', value: publicBaseUrl });
    new CfnOutput(this, 'SesConfigurationSetName', { value: this.email.configurationSetName });
    new CfnOutput(this, 'TokenKeysSecretArn', {
      description: 'Token signing keys; rotate by adding a key, then switching "current" (lib/keys.ts)',
      value: this.keys.tokenKeys.secretArn,
    });
    new CfnOutput(this, 'PseudonymSecretArn', {
      description: 'Pseudonymization secret; never rotate or change it',
      value: this.keys.pseudonymSecret.secretArn,
    });
    new CfnOutput(this, 'PartnersSecretArn', {
      description: 'Partner webhooks, created without a value; write the whole JSON array with put-secret-value (lib/partner-webhooks.ts)',
      value: this.partners.secret.secretArn,
    });
    new CfnOutput(this, 'RelayFailureQueueUrl', {
      description: 'Ledger stream batches the partner relay could not process (shard and sequence numbers; lib/partner-relay.ts)',
      value: this.relay.streamFailures.queue.queueUrl,
    });
    new CfnOutput(this, 'FiguresFailureQueueUrl', {
      description: 'Messages stream batches whose figures could not be counted (shard and sequence numbers; lib/message-figures.ts)',
      value: this.figures.streamFailures.queue.queueUrl,
    });
    new CfnOutput(this, 'DeliveryEventsFailureQueueUrl', {
      description:
        'SES events (bounces, complaints, deliveries…) not delivered to or failed by the SES events function: suppressions still owed (lib/delivery-events.ts)',
      value: this.deliveryEvents.failures.queue.queueUrl,
    });
    new CfnOutput(this, 'CampaignSendDeadLetterQueueUrl', {
      description: 'Campaign send batches that kept failing, with the reason (lib/campaign-queues.ts)',
      value: this.campaignQueues.sendDeadLetterQueue.queueUrl,
    });
    new CfnOutput(this, 'ImportDeadLetterQueueUrl', {
      description: 'Import chunks the import worker kept failing (lib/import-jobs.ts)',
      value: this.importJobs.deadLetterQueue.queueUrl,
    });
    new CfnOutput(this, 'CampaignLaunchDeadLetterQueueUrl', {
      description: 'Campaign launch messages the launcher kept failing (lib/campaign-queues.ts)',
      value: this.campaignQueues.launchDeadLetterQueue.queueUrl,
    });
    new CfnOutput(this, 'AlarmTopicArn', { description: 'Alarm notifications (encrypted SNS topic; lib/alarms.ts)', value: this.alarms.topic.topicArn });
    new CfnOutput(this, 'OperationsDashboardName', { description: 'CloudWatch dashboard of the ops figures (lib/operations-dashboard.ts)', value: this.dashboard.dashboard.dashboardName });
    if (this.inbound) {
      new CfnOutput(this, 'InboundFailureQueueUrl', {
        description: 'mailto: unsubscribe requests that failed after their retries: opt-outs still owed (lib/inbound-mail.ts)',
        value: this.inbound.failures.queue.queueUrl,
      });
      new CfnOutput(this, 'InboundRuleSetName', {
        description:
          'SES receipt rule set of the mailto: unsubscribe mailbox. Activate it once: aws ses set-active-receipt-rule-set --rule-set-name <this> (lib/inbound-mail.ts)',
        value: this.inbound.ruleSetName,
      });
    }
    if (this.sendingDomain) {
      const d = this.sendingDomain;
      new CfnOutput(this, 'SendingDomainName', {
        description: d.identity
          ? `SES identity of ${d.domain}: verified once the DKIM records below resolve (docs/deploy.md, "The sending domain")`
          : `SES identity of ${d.domain}, imported (-c emailIdentity=import): its DKIM records are on the identity's page in the SES console`,
        value: d.domain,
      });
      d.records.forEach((r, i) => {
        new CfnOutput(this, `DnsRecord${i + 1}`, { description: `${r.purpose}: add to the DNS of ${d.domain} (name, type, value)`, value: `${r.name} ${r.type} ${r.value}` });
      });
    }
    for (const { def, table } of this.data.entries) {
      new CfnOutput(this, `${def.id}TableName`, { description: `${def.envKey}: ${def.description}`, value: table.tableName });
    }

    // The schedule that starts the data migrations is created after everything else of the stage: a deployment that
    // fails rolls back before a migration's first run, so no item is ever moved under code that cannot read it.
    for (const child of this.node.children) {
      if (child !== this.migrations && child.node.findAll().some((c) => c instanceof CfnResource)) this.migrations.schedule.node.addDependency(child);
    }
  }
}
