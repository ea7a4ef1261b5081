/** EmailSending on its own, in tiny stacks (no bundling): the From address, and what `ses:send` becomes in IAM. */
import { describe, expect, it } from 'vitest';
import { App, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ENV } from '../../lambdas/wiring/env-keys.ts';
import { EmailSending, parseFromAddress } from '../../lib/email.ts';
import { flattenCfn } from './synth.ts';
import { inlineFunction } from './fixtures.ts';

/** `arn:<partition>:ses:<region>:<account>:`, the three as literals or pseudo parameters. */
const SES_ARN_PREFIX = /^arn:(<AWS::Partition>|aws[a-z-]*):ses:(<AWS::Region>|[a-z0-9-]+):(<AWS::AccountId>|\d{12}):/;

describe('parseFromAddress', () => {
  it.each([
    ['no-reply@example.com', 'no-reply@example.com', 'example.com'],
    ['Sendwell <no-reply@mail.example.com>', 'no-reply@mail.example.com', 'mail.example.com'],
    ['"Example, Inc." <news@example.com>', 'news@example.com', 'example.com'],
    ['  Jürgen Ünal <j@example.de>  ', 'j@example.de', 'example.de'],
  ])('%s → %s at %s', (from, address, domain) => {
    expect(parseFromAddress(from)).toEqual({ address, domain });
  });

  it.each(['nobody', 'Name <>', '@example.com', 'a@', 'a@example.com, b@example.com'])('rejects %s', (from) => {
    expect(() => parseFromAddress(from)).toThrow(/holds no single email address/);
  });
});

function build(fromAddress: string | undefined, stackProps: StackProps = {}) {
  const stack = new Stack(new App(), 'T', stackProps);
  const email = new EmailSending(stack, 'Email', { stage: 'dev', fromAddress });
  const fn = inlineFunction(stack);
  email.grantSend(fn);
  const [policy] = Object.values(Template.fromStack(stack).findResources('AWS::IAM::ManagedPolicy'));
  const statements = policy!.Properties.PolicyDocument.Statement as { Action: unknown; Resource: unknown[]; Condition?: unknown }[];
  return { stack, statements };
}

const acknowledgedIds = (stack: Stack) =>
  stack.node
    .findAll()
    .flatMap((c) => c.node.metadata)
    .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
    .flatMap((m) => Object.keys(m.data as object).map((id) => id.replace(/^annotation::/i, '')));
const iam5On = (stack: Stack, path: string) =>
  new AwsSolutionsChecks()
    .validateScope(stack)
    .violations.filter((v) => v.ruleName.startsWith('AwsSolutions-IAM5') && v.violatingResources.some((r) => r.constructPath?.startsWith(path)));

describe.each([
  ['an environment-agnostic stack', {}],
  ['a stack with a concrete account and region', { env: { account: '123456789012', region: 'eu-west-1' } }],
] as [string, StackProps][])('grantSend in %s', (_name, stackProps) => {
  it('with a From address: SendEmail on the configuration set, the address and its domain, from that address only', () => {
    const { stack, statements } = build('Sendwell <no-reply@mail.example.com>', stackProps);
    expect(statements).toHaveLength(1);
    const [s] = statements;
    expect(s!.Action).toBe('ses:SendEmail');
    const resources = s!.Resource.map(flattenCfn).sort();
    expect(resources.map((r) => r.replace(SES_ARN_PREFIX, ''))).toEqual(
      [`configuration-set/<${stack.getLogicalId(stack.node.findChild('Email').node.findChild('ConfigurationSet').node.defaultChild as never)}>`, 'identity/mail.example.com', 'identity/no-reply@mail.example.com'].sort(),
    );
    expect(s!.Condition).toEqual({ StringEquals: { 'ses:FromAddress': 'no-reply@mail.example.com' } });
    expect(acknowledgedIds(stack)).toEqual([]);
    expect(iam5On(stack, 'T/Email/')).toEqual([]);
  });

  it('without one: identity/* beside the configuration set, no condition, acknowledged by the id cdk-nag reports', () => {
    const { stack, statements } = build(undefined, stackProps);
    const [s] = statements;
    const identity = s!.Resource.map(flattenCfn).filter((r) => r.includes(':identity/'));
    expect(identity).toHaveLength(1);
    expect(identity[0]!.replace(SES_ARN_PREFIX, '')).toBe('identity/*');
    expect(s!.Resource.map(flattenCfn).filter((r) => r.includes(':configuration-set/'))).toHaveLength(1);
    expect(s!.Condition).toBeUndefined();
    expect(acknowledgedIds(stack)).toEqual([`AwsSolutions-IAM5[Resource::${identity[0]}]`]);
    expect(iam5On(stack, 'T/Email/')).toEqual([]);
  });
});

describe('bindEnvironment', () => {
  const varsOf = (props: { unsubscribeMailbox?: string }) => {
    const stack = new Stack(new App(), 'T');
    const email = new EmailSending(stack, 'Email', { stage: 'dev', ...props });
    const fn = inlineFunction(stack);
    email.bindEnvironment(fn);
    const [resource] = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function'));
    return resource!.Properties.Environment.Variables as Record<string, unknown>;
  };

  it('sets the unsubscribe mailbox when one is configured', () => {
    expect(varsOf({ unsubscribeMailbox: 'unsubscribe@mail.example.com' })[ENV.unsubscribeMailbox]).toBe('unsubscribe@mail.example.com');
  });

  it('leaves the variable out otherwise (List-Unsubscribe then carries the https URI only)', () => {
    expect(varsOf({})).not.toHaveProperty(ENV.unsubscribeMailbox);
  });
});
