/** PartnerWebhooks on its own, in tiny stacks (no bundling): the secret without a value, retention, grant, variable. */
import { describe, expect, it } from 'vitest';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ENV } from '../../lambdas/wiring/env-keys.ts';
import { PartnerWebhooks, type PartnerWebhooksProps } from '../../lib/partner-webhooks.ts';
import { inlineFunction } from './fixtures.ts';

function build(props?: PartnerWebhooksProps) {
  const stack = new Stack(new App(), 'T');
  const partners = new PartnerWebhooks(stack, 'Partners', props);
  const fn = inlineFunction(stack);
  partners.bindEnvironment(fn);
  partners.grantRead(fn);
  const template = Template.fromStack(stack);
  const secretId = stack.getLogicalId(partners.secret.node.defaultChild as never);
  return { stack, partners, template, secretId, secret: template.toJSON().Resources[secretId] };
}

describe('PartnerWebhooks', () => {
  it('creates one secret with no value at all: the operator writes the partner list', () => {
    const { template, secret } = build();
    template.resourceCountIs('AWS::SecretsManager::Secret', 1);
    expect(secret.Properties).not.toHaveProperty('SecretString');
    expect(secret.Properties).not.toHaveProperty('GenerateSecretString');
    expect(secret.Properties.KmsKeyId).toBeUndefined();
    template.resourceCountIs('AWS::SecretsManager::RotationSchedule', 0);
  });

  it('retains the secret by default and deletes it when retain is false', () => {
    expect(build().secret).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    expect(build({ retain: false }).secret).toMatchObject({ DeletionPolicy: 'Delete', UpdateReplacePolicy: 'Delete' });
  });

  it('grants GetSecretValue on this secret and nothing else, and no key', () => {
    const { template, secretId } = build();
    const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap((p) => p.Properties.PolicyDocument.Statement);
    expect(statements).toEqual([{ Action: 'secretsmanager:GetSecretValue', Effect: 'Allow', Resource: { Ref: secretId } }]);
  });

  it(`names the secret by ARN in ${ENV.partnersSecret}`, () => {
    const { template, secretId } = build();
    const [fn] = Object.values(template.findResources('AWS::Lambda::Function'));
    expect(fn!.Properties.Environment.Variables).toEqual({ [ENV.partnersSecret]: { Ref: secretId } });
  });

  it('acknowledges SMG4 (no automatic rotation) with the partner rotation procedure, and leaves cdk-nag nothing else', () => {
    const { stack, partners } = build();
    const acknowledged = partners.secret.node
      .findAll()
      .flatMap((c) => c.node.metadata)
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) => Object.entries(m.data as Record<string, string>));
    expect(acknowledged.map(([id]) => id.replace(/^annotation::/i, ''))).toEqual(['AwsSolutions-SMG4']);
    expect(acknowledged[0]![1]).toMatch(/rotated by agreement with each partner/);
    const onPartners = new AwsSolutionsChecks()
      .validateScope(stack)
      .violations.filter((v) => v.violatingResources.some((r) => r.constructPath?.startsWith('T/Partners/')));
    expect(onPartners).toEqual([]);
  });
});
