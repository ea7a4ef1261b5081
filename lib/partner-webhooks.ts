/**
 * The partner webhooks concern: the Secrets Manager secret holding the partners consent changes are relayed to, and
 * what a function needs to read it (the variable that names it, the grant). Used through the `partners:read`
 * permission of `lambdas/wiring/routes.ts`.
 */
import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { ENV } from '../lambdas/wiring/env-keys.ts';

export interface PartnerWebhooksProps {
  /**
   * Keep the secret when the stack is deleted or the secret would be replaced. The operator wrote its value (the
   * partner list and the signing secrets agreed with each partner), and CloudFormation could not recreate it.
   *
   * @default true
   */
  readonly retain?: boolean;
}

/**
 * The partner webhooks secret: `[{"id", "url", "secret", "includeAddress"}]`, parsed by `lambdas/adapters/partners.ts`.
 *
 * **Created without a value.** The content belongs to the operator, not to CloudFormation: the template carries
 * neither `SecretString` nor `GenerateSecretString`, so the secret starts with no version at all, no value is ever in
 * the template, and no later change to the template can overwrite the partner list (CloudFormation writes a secret's
 * value only when one of those two properties changes; test/cdk pins that neither exists). Until the operator puts
 * the first list, `GetSecretValue` fails with `ResourceNotFoundException` (no `AWSCURRENT` version), which the
 * runtime reads as "no partners". To configure partners, write the whole JSON array:
 *
 * ```sh
 * aws secretsmanager put-secret-value --secret-id <PartnersSecretArn output> \
 *   --secret-string '[{"id":"crm","url":"https://crm.example.com/hooks/sendwell","secret":"<at least 16 characters>","includeAddress":false}]'
 * ```
 *
 * Functions load it at their next cold start; warm ones keep the list they loaded until then.
 *
 * **Rotating a partner's signing secret** is agreed with that partner, never automatic, because both sides hold it:
 * 1. the partner adds the new secret beside the old one on their side (signatures under either verify);
 * 2. the operator replaces `secret` in that partner's entry (same `id`: kept failed deliveries are stored by partner id
 *    and signed again with the current secret when replayed) and waits until every function has had a cold start;
 * 3. the partner removes the old secret.
 *
 * Encryption: the AWS managed key `aws/secretsmanager`, as the key secrets (`lib/keys.ts`): the IAM grant
 * ({@link grantRead}) is the access control.
 *
 * @example
 * const partners = new PartnerWebhooks(stack, 'Partners', { retain: isProductionStage(stage) });
 * partners.bindEnvironment(fn); // SENDWELL_PARTNERS_SECRET = the secret ARN
 * partners.grantRead(fn);       // secretsmanager:GetSecretValue on this secret only
 */
export class PartnerWebhooks extends Construct {
  readonly secret: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: PartnerWebhooksProps = {}) {
    super(scope, id);
    this.secret = new secretsmanager.Secret(this, 'Secret', {
      description:
        'Sendwell: partner webhooks consent changes are relayed to, [{"id","url","secret","includeAddress"}]. Created empty; ' +
        'the operator writes the whole list with put-secret-value (lib/partner-webhooks.ts).',
      removalPolicy: (props.retain ?? true) ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    // The L2 Secret always generates a value (a random 32-character string when given none), which the runtime could
    // not parse as a partner list. Without either value property CloudFormation creates the secret with no version.
    const resource = this.secret.node.defaultChild as secretsmanager.CfnSecret;
    resource.generateSecretString = undefined;
    resource.secretString = undefined;

    Validations.of(this.secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Partner-managed shared secrets: each entry holds the HMAC signing secret agreed with one partner, who must hold the ' +
        'same value to verify webhook signatures. They are rotated by agreement with each partner, never by Secrets Manager: ' +
        'the partner adds the new secret beside the old one, the operator switches the entry to the new secret, then the ' +
        'partner removes the old one. An automatic rotation would change the value on our side only and make the partners ' +
        'reject every webhook. Runbook in the TSDoc of PartnerWebhooks (lib/partner-webhooks.ts).',
    });
  }

  /** The secret's ARN in the variable `lambdas/adapters/partners.ts` reads (`SecretId` accepts an ARN). */
  bindEnvironment(fn: lambda.Function): void {
    fn.addEnvironment(ENV.partnersSecret, this.secret.secretArn);
  }

  /**
   * `secretsmanager:GetSecretValue` on this secret and nothing else: not `Secret.grantRead`, which adds
   * `DescribeSecret`. No KMS grant: `aws/secretsmanager` serves decrypts made through Secrets Manager.
   */
  grantRead(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({ grantee, actions: ['secretsmanager:GetSecretValue'], resourceArns: [this.secret.secretArn] });
  }
}
