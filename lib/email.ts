/**
 * The email concern: the SES v2 configuration set every Sendwell mail is sent through, and what a function needs to
 * send or inspect mail (the environment variables it reads, the grants it gets).
 */
import { ArnFormat, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as ses from 'aws-cdk-lib/aws-ses';
import { Construct } from 'constructs';
import { ENV } from '../lambdas/wiring/env-keys.ts';
import { attachPolicy, iam5ResourceFinding } from './managed-policies.ts';

/** The address in a From value and its domain: `Sendwell <no-reply@mail.example.com>` → `no-reply@mail.example.com`. */
export interface FromIdentity {
  readonly address: string;
  readonly domain: string;
}

/**
 * Reads the address out of a From value, bare (`a@example.com`) or with a display name (`Name <a@example.com>`,
 * `"Name, Inc." <a@example.com>`). Throws when there is no single address in it.
 */
export function parseFromAddress(from: string): FromIdentity {
  const angle = /<([^<>\s]+)>\s*$/.exec(from);
  const address = (angle ? angle[1]! : from).trim();
  const at = address.lastIndexOf('@');
  if (at <= 0 || at === address.length - 1 || /[\s<>,]/.test(address)) {
    throw new Error(`Sendwell: fromAddress "${from}" holds no single email address (e.g. "Sendwell <no-reply@example.com>").`);
  }
  return { address, domain: address.slice(at + 1) };
}

export interface EmailSendingProps {
  /** Deployment stage; names the configuration set `sendwell-<stage>`. */
  readonly stage: string;
  /**
   * The `From` of every mail, a verified SES identity, bare or with a display name (`Sendwell <no-reply@example.com>`).
   *
   * It also narrows `ses:send`: SendEmail only on the identities `identity/<address>` and `identity/<domain>`,
   * whichever of the two is verified, with the condition `ses:FromAddress` = the address. An address on a subdomain
   * that is not itself verified (sending under a verified parent domain) is authorized against the parent's identity,
   * which this does not grant: verify the address or its exact domain.
   *
   * @default - not set: the functions get no `SENDWELL_FROM_ADDRESS` and sending fails at the first send with a
   *   configuration error naming the variable (fine for a stage that only serves the API); `ses:send` then allows
   *   every identity of the account and region (`identity/*`), still only through this configuration set.
   */
  readonly fromAddress?: string;
  /**
   * The postal address printed in the footer of every marketing mail (CAN-SPAM requires one).
   *
   * @default - not set, like `fromAddress`
   */
  readonly postalAddress?: string;
  /**
   * The mailbox SES receives `mailto:` unsubscribe requests at (`lib/inbound-mail.ts`). Set on every function, so
   * marketing mail gets the `<mailto:…?subject=unsubscribe%20TOKEN>` URI in `List-Unsubscribe` besides the https one.
   *
   * @default - not set: `List-Unsubscribe` carries the https URI only
   */
  readonly unsubscribeMailbox?: string;
  /**
   * SES Virtual Deliverability Manager for this configuration set: engagement metrics on its dashboard and optimized
   * shared delivery. VDM is billed per mail and must also be on for the account (`accountVdm`).
   *
   * @default false
   */
  readonly vdm?: boolean;
  /**
   * Turn on VDM for the whole account and region (`AWS::SES::VdmAttributes`, one per account and region: let one stage
   * own it, or switch it on once by hand with `aws sesv2 put-account-vdm-attributes`).
   *
   * @default false
   */
  readonly accountVdm?: boolean;
  /**
   * Send through a dedicated IP pool: `managed` creates a managed pool `sendwell-<stage>` (SES warms and scales its
   * IPs), any other value names an existing pool of the account.
   *
   * @default - SES's shared IPs
   */
  readonly dedicatedIpPool?: string;
}

/**
 * The SES configuration set of a stage, with reputation metrics on, and the mail settings functions read.
 *
 * Its event destination (sends, deliveries, bounces, complaints… → the default EventBridge bus → the sesEvents
 * function) is added by `DeliveryEvents` (lib/delivery-events.ts) through {@link EmailSending.configurationSet}.
 *
 * @example
 * const email = new EmailSending(stack, 'Email', { stage: 'dev', fromAddress: 'Sendwell <no-reply@example.com>' });
 * email.bindEnvironment(fn);   // SENDWELL_SES_CONFIGURATION_SET, _FROM_ADDRESS, _POSTAL_ADDRESS, _UNSUBSCRIBE_MAILBOX
 * email.grantAccountRead(fn);  // ses:GetAccount (health probe)
 * email.grantSend(fn);         // ses:SendEmail through this configuration set, from the From identity
 */
export class EmailSending extends Construct {
  readonly configurationSet: ses.ConfigurationSet;
  readonly configurationSetName: string;
  /** The From address and domain, when `fromAddress` is set. */
  readonly fromIdentity: FromIdentity | undefined;
  private readonly fromAddress: string | undefined;
  private readonly postalAddress: string | undefined;
  private readonly unsubscribeMailbox: string | undefined;
  private accountReadPolicy: iam.ManagedPolicy | undefined;
  private sendPolicy: iam.ManagedPolicy | undefined;

  constructor(scope: Construct, id: string, props: EmailSendingProps) {
    super(scope, id);
    this.fromAddress = props.fromAddress;
    this.fromIdentity = props.fromAddress === undefined ? undefined : parseFromAddress(props.fromAddress);
    this.postalAddress = props.postalAddress;
    this.unsubscribeMailbox = props.unsubscribeMailbox;
    this.configurationSetName = `sendwell-${props.stage}`;
    const pool =
      props.dedicatedIpPool === undefined
        ? undefined
        : props.dedicatedIpPool === 'managed'
          ? new ses.DedicatedIpPool(this, 'DedicatedIpPool', { dedicatedIpPoolName: `sendwell-${props.stage}`, scalingMode: ses.ScalingMode.MANAGED })
          : ses.DedicatedIpPool.fromDedicatedIpPoolName(this, 'DedicatedIpPool', props.dedicatedIpPool);
    this.configurationSet = new ses.ConfigurationSet(this, 'ConfigurationSet', {
      configurationSetName: this.configurationSetName,
      // Bounce and complaint rates per configuration set in CloudWatch: what SES's account review looks at.
      reputationMetrics: true,
      sendingEnabled: true,
      // Sendwell keeps its own suppression list, scoped by reason (a complaint holds marketing, never service mail).
      // SES's account-level list has no scope: left on (its default), a complainer's next password reset would be
      // dropped by SES. So mail through this configuration set does not use it at all; a hard bounce is still held
      // for every class by Sendwell's own rule.
      disableSuppressionList: true,
      ...(pool ? { dedicatedIpPool: pool } : {}),
      ...(props.vdm ? { vdmOptions: { engagementMetrics: true, optimizedSharedDelivery: true } } : {}),
    });
    if (props.accountVdm) new ses.VdmAttributes(this, 'AccountVdm', { engagementMetrics: true, optimizedSharedDelivery: true });
  }

  /**
   * Sets the configuration set name and, where configured, the From and postal addresses and the unsubscribe mailbox
   * on a function.
   */
  bindEnvironment(fn: lambda.Function): void {
    fn.addEnvironment(ENV.sesConfigurationSet, this.configurationSet.configurationSetName);
    if (this.fromAddress !== undefined) fn.addEnvironment(ENV.fromAddress, this.fromAddress);
    if (this.postalAddress !== undefined) fn.addEnvironment(ENV.postalAddress, this.postalAddress);
    if (this.unsubscribeMailbox !== undefined) fn.addEnvironment(ENV.unsubscribeMailbox, this.unsubscribeMailbox);
  }

  /**
   * `ses:GetAccount` (is sending enabled, what are the quotas). The action has no resource type, so the statement's
   * resource can only be `*`; it lives in one managed policy of its own so that the acknowledged wildcard covers this
   * read and nothing else.
   */
  grantAccountRead(fn: lambda.Function): void {
    this.accountReadPolicy ??= this.createAccountReadPolicy();
    attachPolicy(this.accountReadPolicy, fn);
  }

  /**
   * `ses:SendEmail` (SES API v2), on this stage's configuration set and the From identity: SES authorizes a send on
   * every resource it uses, so both must be allowed, and a send naming another configuration set is refused. The
   * other resource types SendEmail can involve (`template`, `contact-list`) are not granted: Sendwell sends Simple
   * content it composed itself (`lambdas/adapters/ses-mailer.ts`), without SES templates or list management. No
   * other send action either (`ses:SendRawEmail`, `ses:SendBulkEmail`): no raw MIME, no bulk sends.
   *
   * One managed policy shared by every sending function, so a wildcard identity (no `fromAddress`) is acknowledged
   * once, on the one policy that holds it.
   */
  grantSend(fn: lambda.Function): void {
    this.sendPolicy ??= this.createSendPolicy();
    attachPolicy(this.sendPolicy, fn);
  }

  /** `arn:…:ses:<region>:<account>:identity/<name>` of this stack's account and region. */
  private identityArn(name: string): string {
    return Stack.of(this).formatArn({ service: 'ses', resource: 'identity', resourceName: name, arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
  }

  private createSendPolicy(): iam.ManagedPolicy {
    const configurationSetArn = Stack.of(this).formatArn({
      service: 'ses',
      resource: 'configuration-set',
      resourceName: this.configurationSet.configurationSetName,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
    const from = this.fromIdentity;
    const identityArns = from ? [...new Set([from.address, from.domain])].map((name) => this.identityArn(name)) : [this.identityArn('*')];
    const policy = new iam.ManagedPolicy(this, 'SendPolicy', {
      description: from
        ? `Sendwell: send mail (SES v2 SendEmail) from ${from.address} through configuration set ${this.configurationSetName} only.`
        : `Sendwell: send mail (SES v2 SendEmail) through configuration set ${this.configurationSetName} only.`,
      statements: [
        new iam.PolicyStatement({
          actions: ['ses:SendEmail'],
          resources: [configurationSetArn, ...identityArns],
          // The From address itself, not only its identity: a domain identity would otherwise allow any address of
          // the domain. (The key holds the address without the display name.)
          ...(from ? { conditions: { StringEquals: { 'ses:FromAddress': from.address } } } : {}),
        }),
      ],
    });
    if (!from) {
      Validations.of(policy).acknowledge({
        id: iam5ResourceFinding(policy, identityArns[0]!),
        reason:
          'SES identity unknown at synth: no fromAddress context is set (allowed on non-production stages only; production ' +
          'stages require it), so the identity SendEmail is authorized against cannot be named. identity/* covers only ' +
          "identities verified in this account and region, and the same statement requires this stage's configuration set " +
          '(no other one) and allows ses:SendEmail and nothing else. Set -c fromAddress=... to narrow it to the From ' +
          'identity with a ses:FromAddress condition.',
      });
    }
    return policy;
  }

  private createAccountReadPolicy(): iam.ManagedPolicy {
    const policy = new iam.ManagedPolicy(this, 'AccountReadPolicy', {
      description: 'Sendwell: read the SES account status (sending enabled, quotas) for health probes.',
      statements: [new iam.PolicyStatement({ actions: ['ses:GetAccount'], resources: ['*'] })],
    });
    Validations.of(policy).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'ses:GetAccount is an account-level read with no resource type in the SES service authorization reference, so IAM only accepts Resource "*". The policy holds this one read-only action and nothing else.',
    });
    return policy;
  }
}
