/** KeySecrets on its own, in tiny stacks (no bundling): the secrets, their retention, the grant and the variables. */
import { describe, expect, it } from 'vitest';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ENV } from '../../lambdas/wiring/env-keys.ts';
import { KeySecrets, type KeySecretsProps } from '../../lib/keys.ts';
import { inlineFunction } from './fixtures.ts';

function build(props?: KeySecretsProps) {
  const stack = new Stack(new App(), 'T');
  const keys = new KeySecrets(stack, 'Keys', props);
  const fn = inlineFunction(stack);
  keys.bindEnvironment(fn);
  keys.grantRead(fn);
  const id = (c: { node: { defaultChild?: unknown } }) => stack.getLogicalId(c.node.defaultChild as never);
  return { stack, keys, template: Template.fromStack(stack), tokenKeysId: id(keys.tokenKeys), pseudonymId: id(keys.pseudonymSecret) };
}

describe('KeySecrets', () => {
  it('retains both secrets by default', () => {
    const { template, tokenKeysId, pseudonymId } = build();
    for (const id of [tokenKeysId, pseudonymId]) {
      expect(template.toJSON().Resources[id]).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    }
  });

  it('retains the pseudonymization secret even when the token keys may go', () => {
    const { template, tokenKeysId, pseudonymId } = build({ retainTokenKeys: false });
    expect(template.toJSON().Resources[tokenKeysId]).toMatchObject({ DeletionPolicy: 'Delete' });
    expect(template.toJSON().Resources[pseudonymId]).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });

  it('grants GetSecretValue on the two secrets and nothing else, and no key', () => {
    const { template, tokenKeysId, pseudonymId } = build();
    const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap((p) => p.Properties.PolicyDocument.Statement);
    expect(statements).toEqual([
      { Action: 'secretsmanager:GetSecretValue', Effect: 'Allow', Resource: expect.arrayContaining([{ Ref: tokenKeysId }, { Ref: pseudonymId }]) },
    ]);
    expect(statements[0].Resource).toHaveLength(2);
  });

  it('names the secrets by ARN in the variables the runtime reads', () => {
    const { template, tokenKeysId, pseudonymId } = build();
    const [fn] = Object.values(template.findResources('AWS::Lambda::Function'));
    expect(fn!.Properties.Environment.Variables).toEqual({
      [ENV.tokenKeysSecret]: { Ref: tokenKeysId },
      [ENV.pseudonymSecret]: { Ref: pseudonymId },
    });
  });

  it('leaves cdk-nag nothing to report on the secrets (SMG4 acknowledged on each)', () => {
    const { stack } = build();
    const onKeys = new AwsSolutionsChecks()
      .validateScope(stack)
      .violations.filter((v) => v.violatingResources.some((r) => r.constructPath?.startsWith('T/Keys/')));
    expect(onKeys).toEqual([]);
  });
});
