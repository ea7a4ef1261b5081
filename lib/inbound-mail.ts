/**
 * The inbound mail concern: the `mailto:` URI of `List-Unsubscribe`. SES receives mail for the unsubscribe mailbox and
 * a receipt rule hands it to the `mailtoUnsubscribe` function of `lambdas/wiring/event-functions.ts`, which verifies the signed
 * token in the subject and unsubscribes. Only built when the deployer sets `-c unsubscribeMailbox=…`.
 */
import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as ses from 'aws-cdk-lib/aws-ses';
import * as sesActions from 'aws-cdk-lib/aws-ses-actions';
import { Construct } from 'constructs';
import { EVENT_FUNCTIONS, type EventFunctionDef } from '../lambdas/wiring/event-functions.ts';
import { FailureQueue } from './failure-queue.ts';
import { buildFunction, type BuildFunctionOptions } from './functions.ts';

/**
 * The id of the invoke permission the SES Lambda action looks for (`aws-ses-actions` `Lambda.bind`): created here
 * first, with a `SourceArn`, so the action reuses it (and makes the rule depend on it) instead of adding its own,
 * account-wide one. The constructor fails the synth if the action ever adds a second permission anyway.
 */
const SES_INVOKE_PERMISSION_ID = 'AllowSes';

export interface InboundMailProps extends BuildFunctionOptions {
  /**
   * The unsubscribe mailbox, a bare address (`unsubscribe@mail.example.com`): the one recipient the receipt rule
   * matches. Its domain must be verified in SES (in this stack's region) and have its MX record pointing at SES.
   */
  readonly mailbox: string;
  /**
   * The function the receipt rule invokes, by key.
   *
   * @default the `mailtoUnsubscribe` entry of EVENT_FUNCTIONS (lambdas/wiring/event-functions.ts)
   */
  readonly function?: { readonly key: string; readonly def: EventFunctionDef };
  /**
   * Keep the failure queue (failed unsubscribe requests not yet honoured) when the stack is deleted.
   *
   * @default true
   */
  readonly retainFailures?: boolean;
  /**
   * Add the rule to this existing receipt rule set instead of creating one. Only one rule set per account and region
   * can be active: a second stage (or an account that already receives mail) adds its rule to the active set.
   *
   * @default - a rule set `sendwell-<stage>-inbound` is created (activate it once, see docs/deploy.md)
   */
  readonly existingRuleSetName?: string;
}

/**
 * SES email receiving for the `mailto:` unsubscribe mailbox: a receipt rule set `sendwell-<stage>-inbound` with one
 * rule, `mailto-unsubscribe`, for exactly the mailbox address (spam and virus scan on, TLS required), whose one action
 * invokes the mailto function asynchronously (`Event`). SES may invoke the function only from that rule of this
 * account (`SourceArn` and `SourceAccount` on the Lambda permission).
 *
 * The function is built like every HTTP function (`buildFunction`, lib/functions.ts): same runtime, bundling,
 * environment and grant mapping; its definition grants `keys:read` and the tables of the unsubscribe page.
 *
 * **Failures.** SES invokes asynchronously, so Lambda retries a failed invocation twice (within 6 hours) and then
 * sends it to {@link failures}, an SQS queue (lib/failure-queue.ts) kept 14 days: an unsubscribe request that could
 * not be recorded is an opt-out still owed to the recipient (CAN-SPAM: within 10 business days), so it must not
 * vanish. Each record holds the SES event, i.e. the mail's headers (sender address, the subject with its token):
 * personal data, encrypted at rest, readable only by principals IAM allows. Replay it by invoking the function with
 * the record's `requestPayload` once the cause is fixed.
 *
 * What a deployer must do outside CloudFormation, once per account and region:
 * - **Activate the rule set.** CloudFormation creates receipt rule sets but cannot make one active, and SES only
 *   applies the active one: `aws ses set-active-receipt-rule-set --rule-set-name sendwell-<stage>-inbound` (the stack
 *   output `InboundRuleSetName`). An account and region have at most one active rule set: activating this one
 *   deactivates any other, so if the account already receives mail through another rule set (another stage in the
 *   same account and region included), move this rule into that set instead.
 * - **Receive in a receiving region.** SES email receiving exists in a subset of regions only, and a receipt rule
 *   invokes functions of its own region: deploy the stack in one of them.
 * - **Point the mailbox's domain at SES.** The domain must be a verified SES identity in that region, and its MX
 *   record must name the region's inbound endpoint: `10 inbound-smtp.<region>.amazonaws.com`.
 * - **Deactivate before deleting.** SES refuses to delete the active rule set, so a stack deletion fails on it until
 *   `aws ses set-active-receipt-rule-set` (without a name) deactivates it.
 *
 * @example
 * const inbound = new InboundMail(stack, 'Inbound', {
 *   stage: 'prod', mailbox: 'unsubscribe@mail.example.com', publicBaseUrl, resources: { data, email, keys, partners, campaigns },
 * });
 * new CfnOutput(stack, 'InboundRuleSetName', { value: inbound.ruleSetName });
 */
export class InboundMail extends Construct {
  readonly ruleSet: ses.IReceiptRuleSet;
  readonly rule: ses.ReceiptRule;
  /** Name of the receipt rule set, the one to activate: `sendwell-<stage>-inbound`. */
  readonly ruleSetName: string;
  /** Name of the rule in it: `mailto-unsubscribe`. */
  readonly ruleName: string;
  /** The function the rule invokes. */
  readonly unsubscribeFunction: nodejs.NodejsFunction;
  /** The functions of this construct by key (`mailtoUnsubscribe`), as `HttpEndpoints.functions`. */
  readonly functions: Readonly<Record<string, nodejs.NodejsFunction>>;
  /** SES's permission to invoke the function, from this rule and account only. */
  readonly invokePermission: lambda.CfnPermission;
  /** The on-failure destination of the function's asynchronous invocations. */
  readonly failures: FailureQueue;

  constructor(scope: Construct, id: string, props: InboundMailProps) {
    super(scope, id);
    const { key, def } = props.function ?? { key: 'mailtoUnsubscribe', def: EVENT_FUNCTIONS.mailtoUnsubscribe };
    if (def.source !== 'ses-receipt') throw new Error(`Sendwell: function "${key}" is invoked by "${def.source}", not by an SES receipt rule.`);
    this.ruleSetName = props.existingRuleSetName ?? `sendwell-${props.stage}-inbound`;
    // Named for the stage: rules of several stages may share one rule set (`existingRuleSetName`).
    this.ruleName = `sendwell-${props.stage}-mailto-unsubscribe`;

    const fn = buildFunction(this, key, def, props);
    this.unsubscribeFunction = fn;
    this.functions = { [key]: fn };
    this.failures = new FailureQueue(this, 'Failures', {
      holds: 'mailto: unsubscribe invocations (SES receipt events) that failed after their retries, opt-outs still owed',
      retain: props.retainFailures,
    });
    this.failures.protectAsyncInvocations(fn);

    // The rule's ARN from the two literal names: a reference to the rule would be a cycle, since the rule must wait
    // for this permission (SES checks at CreateReceiptRule that it may invoke the function).
    const stack = Stack.of(this);
    const ruleArn = stack.formatArn({
      service: 'ses',
      resource: 'receipt-rule-set',
      resourceName: `${this.ruleSetName}:receipt-rule/${this.ruleName}`,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
    fn.addPermission(SES_INVOKE_PERMISSION_ID, {
      principal: new iam.ServicePrincipal('ses.amazonaws.com'),
      action: 'lambda:InvokeFunction',
      sourceAccount: stack.account,
      sourceArn: ruleArn,
    });

    this.ruleSet = props.existingRuleSetName
      ? ses.ReceiptRuleSet.fromReceiptRuleSetName(this, 'RuleSet', props.existingRuleSetName)
      : new ses.ReceiptRuleSet(this, 'RuleSet', { receiptRuleSetName: this.ruleSetName });
    this.rule = this.ruleSet.addRule('MailtoUnsubscribe', {
      receiptRuleName: this.ruleName,
      recipients: [props.mailbox],
      enabled: true,
      // Spam and virus verdicts in the event; the handler changes nothing for mail that fails the virus check.
      scanEnabled: true,
      tlsPolicy: ses.TlsPolicy.REQUIRE,
      actions: [new sesActions.Lambda({ function: fn, invocationType: sesActions.LambdaInvocationType.EVENT })],
    });

    const permissions = fn.node.children.filter((c): c is lambda.CfnPermission => c instanceof lambda.CfnPermission);
    if (permissions.length !== 1 || permissions[0]!.node.id !== SES_INVOKE_PERMISSION_ID) {
      throw new Error(
        `Sendwell: expected exactly one invoke permission "${SES_INVOKE_PERMISSION_ID}" on ${fn.node.path} (SES, scoped to ${this.ruleName}), ` +
          `found ${permissions.map((p) => p.node.id).join(', ') || 'none'}: did the SES Lambda action add its own?`,
      );
    }
    this.invokePermission = permissions[0]!;
  }
}
