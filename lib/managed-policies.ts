/**
 * Customer managed policies, which Sendwell uses wherever a grant holds a wildcard (one policy per grant, attached to
 * every function that has it, so the acknowledgement covers that grant on one resource): attaching one to a function,
 * and the exact cdk-nag finding id of a wildcard resource in one.
 *
 * cdk-nag 3 matches an acknowledgement by its exact id. For AwsSolutions-IAM5 the id carries the resource as cdk-nag
 * flattens it (`Resource::<DataRecipients1234.Arn>/index/*`, `Resource::arn:<AWS::Partition>:ses:…`), which depends
 * on logical ids and on whether the stack has a concrete account and region. {@link iam5ResourceFinding} computes it
 * from the same ARN the policy holds, so the acknowledgement follows the template instead of a hand-copied string.
 */
import { CfnResource, Stack } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { IConstruct } from 'constructs';

/** cdk-nag's flattening of a resolved CloudFormation value (`Ref`, `Fn::GetAtt`, `Fn::Join`, `Fn::Sub`). */
function flatten(node: unknown): string {
  if (node === undefined) return '';
  if (typeof node === 'string') return node.replace(/\$\{/g, '<').replace(/\}/g, '>');
  if (typeof node === 'object' && node !== null) {
    const o = node as Record<string, unknown>;
    if (o['Fn::Join']) {
      const [delimiter, items] = o['Fn::Join'] as [string, unknown[]];
      return items.map(flatten).join(delimiter);
    }
    if (o['Fn::Sub']) return flatten(o['Fn::Sub']);
    if (o['Fn::GetAtt']) {
      const [resource, attribute] = o['Fn::GetAtt'] as [unknown, unknown];
      return `<${flatten(resource)}.${flatten(attribute)}>`;
    }
    if (o['Fn::ImportValue']) return flatten(o['Fn::ImportValue']);
    if (o.Ref) return `<${flatten(o.Ref)}>`;
  }
  return JSON.stringify(node);
}

/**
 * The AwsSolutions-IAM5 finding id cdk-nag reports for `resource` (an ARN, tokens allowed) in a policy of `scope`'s
 * stack: `AwsSolutions-IAM5[Resource::<Table1234.Arn>/index/*]`.
 */
export function iam5ResourceFinding(scope: IConstruct, resource: string): string {
  return `AwsSolutions-IAM5[Resource::${flatten(Stack.of(scope).resolve(resource))}]`;
}

/**
 * Attaches a customer managed policy to a function's role, and makes the function depend on the attachment so that
 * CloudFormation does not create or update the function (and the API does not route to it) before it holds the grant.
 */
export function attachPolicy(policy: iam.ManagedPolicy, fn: lambda.Function): void {
  if (!fn.role) throw new Error(`Sendwell: function ${fn.node.path} has no role to attach ${policy.node.path} to.`);
  policy.attachToRole(fn.role);
  // Between the two resources only: a construct-level dependency would also make a role created inside the function
  // construct wait for the policy that names it, a cycle.
  const fnResource = fn.node.defaultChild;
  const policyResource = policy.node.defaultChild;
  if (!CfnResource.isCfnResource(fnResource) || !CfnResource.isCfnResource(policyResource)) {
    throw new Error(`Sendwell: cannot order ${fn.node.path} after ${policy.node.path}.`);
  }
  fnResource.addResourceDependency(policyResource);
}
