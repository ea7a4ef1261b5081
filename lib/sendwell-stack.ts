/**
 * The Sendwell stack. It only composes the constructs of `lib/` and decides, from the stage, what a stage keeps.
 */
import { CfnOutput, RemovalPolicy, Stack, Tags, type StackProps } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { DataTables } from './data-tables.ts';
import { EmailSending } from './email.ts';
import { HttpEndpoints } from './http-api.ts';
import { InboundMail } from './inbound-mail.ts';
import { KeySecrets } from './keys.ts';
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
   * Where alarm notifications will go. Accepted and validated now so deployments can set it; the observability
   * construct (alarms on bounce rate, complaint rate, DLQ depth, errors) is not built yet and is what will use it.
   *
   * @default - no alarm notifications
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
   * Retain tables and logs on stack deletion and turn on table deletion protection.
   *
   * @default isProductionStage(stage)
   */
  readonly retainData?: boolean;
}

export class SendwellStack extends Stack {
  readonly data: DataTables;
  readonly email: EmailSending;
  readonly keys: KeySecrets;
  readonly api: HttpEndpoints;
  /** The `mailto:` unsubscribe mailbox's receipt rule and function, when `unsubscribeMailbox` is set. */
  readonly inbound: InboundMail | undefined;
  readonly alarmEmail: string | undefined;

  constructor(scope: Construct, id: string, props: SendwellStackProps) {
    super(scope, id, props);
    const production = isProductionStage(props.stage);
    const retain = props.retainData ?? production;
    this.alarmEmail = props.alarmEmail;

    Tags.of(this).add('project', 'sendwell');
    Tags.of(this).add('stage', props.stage);

    this.data = new DataTables(this, 'Data', { retainData: retain });
    this.email = new EmailSending(this, 'Email', {
      stage: props.stage,
      fromAddress: props.fromAddress,
      postalAddress: props.postalAddress,
      unsubscribeMailbox: props.unsubscribeMailbox,
    });
    // The pseudonymization secret is retained on every stage (see KeySecrets); the token keys follow the data.
    this.keys = new KeySecrets(this, 'Keys', { retainTokenKeys: retain });
    // What every function of the stage shares, whichever construct builds it.
    const functionOptions = {
      stage: props.stage,
      resources: { data: this.data, email: this.email, keys: this.keys },
      logRetention: production ? logs.RetentionDays.THREE_MONTHS : logs.RetentionDays.ONE_MONTH,
      logRemovalPolicy: retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    };
    this.api = new HttpEndpoints(this, 'Api', { ...functionOptions, publicBaseUrl: props.publicBaseUrl });
    const publicBaseUrl = props.publicBaseUrl ?? this.api.url;
    this.inbound =
      props.unsubscribeMailbox === undefined
        ? undefined
        : new InboundMail(this, 'Inbound', { ...functionOptions, publicBaseUrl, mailbox: props.unsubscribeMailbox });

    new CfnOutput(this, 'ApiUrl', { description: 'Base URL of the HTTP API', value: this.api.url });
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
    if (this.inbound) {
      new CfnOutput(this, 'InboundRuleSetName', {
        description:
          'SES receipt rule set of the mailto: unsubscribe mailbox. Activate it once: aws ses set-active-receipt-rule-set --rule-set-name <this> (lib/inbound-mail.ts)',
        value: this.inbound.ruleSetName,
      });
    }
    for (const { def, table } of this.data.entries) {
      new CfnOutput(this, `${def.id}TableName`, { description: `${def.envKey}: ${def.description}`, value: table.tableName });
    }
  }
}
