/**
 * The email concern: the SES v2 configuration set every Sendwell mail is sent through, and what a function needs to
 * send or inspect mail (the environment variables it reads, the grants it gets).
 */
import { Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as ses from 'aws-cdk-lib/aws-ses';
import { Construct } from 'constructs';
import { ENV } from '../lambdas/wiring/env-keys.ts';

export interface EmailSendingProps {
  /** Deployment stage; names the configuration set `sendwell-<stage>`. */
  readonly stage: string;
  /**
   * The `From` of every mail, a verified SES identity, bare or with a display name (`Sendwell <no-reply@example.com>`).
   *
   * @default - not set: the functions get no `SENDWELL_FROM_ADDRESS` and sending fails at the first send with a
   *   configuration error naming the variable (fine for a stage that only serves the API).
   */
  readonly fromAddress?: string;
  /**
   * The postal address printed in the footer of every marketing mail (CAN-SPAM requires one).
   *
   * @default - not set, like `fromAddress`
   */
  readonly postalAddress?: string;
}

/**
 * The SES configuration set of a stage, with reputation metrics on, and the mail settings functions read.
 *
 * Event destinations (bounces, complaints, deliveries → the delivery-events Lambda) are added later through
 * {@link EmailSending.configurationSet}: `email.configurationSet.addEventDestination(...)`.
 *
 * @example
 * const email = new EmailSending(stack, 'Email', { stage: 'dev', fromAddress: 'Sendwell <no-reply@example.com>' });
 * email.bindEnvironment(fn);   // SENDWELL_SES_CONFIGURATION_SET, SENDWELL_FROM_ADDRESS, SENDWELL_POSTAL_ADDRESS
 * email.grantAccountRead(fn);  // ses:GetAccount (health probe)
 */
export class EmailSending extends Construct {
  readonly configurationSet: ses.ConfigurationSet;
  readonly configurationSetName: string;
  private readonly fromAddress: string | undefined;
  private readonly postalAddress: string | undefined;
  private accountReadPolicy: iam.ManagedPolicy | undefined;

  constructor(scope: Construct, id: string, props: EmailSendingProps) {
    super(scope, id);
    this.fromAddress = props.fromAddress;
    this.postalAddress = props.postalAddress;
    this.configurationSetName = `sendwell-${props.stage}`;
    this.configurationSet = new ses.ConfigurationSet(this, 'ConfigurationSet', {
      configurationSetName: this.configurationSetName,
      // Bounce and complaint rates per configuration set in CloudWatch: what SES's account review looks at.
      reputationMetrics: true,
      sendingEnabled: true,
    });
  }

  /** Sets the configuration set name and, where configured, the From and postal addresses on a function. */
  bindEnvironment(fn: lambda.Function): void {
    fn.addEnvironment(ENV.sesConfigurationSet, this.configurationSet.configurationSetName);
    if (this.fromAddress !== undefined) fn.addEnvironment(ENV.fromAddress, this.fromAddress);
    if (this.postalAddress !== undefined) fn.addEnvironment(ENV.postalAddress, this.postalAddress);
  }

  /**
   * `ses:GetAccount` (is sending enabled, what are the quotas). The action has no resource type, so the statement's
   * resource can only be `*`; it lives in one managed policy of its own so that the acknowledged wildcard covers this
   * read and nothing else.
   */
  grantAccountRead(fn: lambda.Function): void {
    if (!fn.role) throw new Error(`Sendwell: function ${fn.node.path} has no role to attach ses:GetAccount to.`);
    this.accountReadPolicy ??= this.createAccountReadPolicy();
    this.accountReadPolicy.attachToRole(fn.role);
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
