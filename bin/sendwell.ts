/**
 * The Sendwell CDK app (`cdk.json`: `node bin/sendwell.ts`; Node 24 runs the TypeScript directly).
 *
 * Deployer context, all optional outside production stages:
 * - `stage`: deployment stage, default `dev`. `prod`, `production` and `prod-*` retain data and require the two
 *   mail settings below. The CloudFormation stack is `Sendwell-<stage>`.
 * - `fromAddress`: SES identity used as From (`Sendwell <no-reply@example.com>`).
 * - `publicBaseUrl`: https base URL of the public pages for links in mail (custom domain); default the API's URL.
 * - `postalAddress`: postal address in marketing mail footers.
 * - `alarmEmail`: where alarm notifications go, once the alarms exist.
 * - `unsubscribeMailbox`: bare address SES receives `mailto:` unsubscribe requests at (needs `fromAddress` and
 *   `postalAddress`). Adds an SES receipt rule set (activate it once: `aws ses set-active-receipt-rule-set`, see
 *   lib/inbound-mail.ts) and the mailto URI in `List-Unsubscribe`.
 * - `sendRate`: campaign mails per second when a campaign sets none, default 14; at most the SES account's maximum
 *   send rate (docs/deploy.md). Sizes the campaign sender's concurrency.
 * - `consoleDomainPrefix`: prefix of the console's Cognito sign-in domain, default `sendwell-<stage>-<account id>`
 *   (docs/deploy.md, "The console").
 *
 * After the first deploy of a stage, outside CloudFormation: write the partner webhooks (the stack creates their secret
 * without a value, which the relay reads as "no partners"): `aws secretsmanager put-secret-value --secret-id
 * <PartnersSecretArn output> --secret-string '[{"id":…,"url":…,"secret":…,"includeAddress":false}]'` (see
 * lib/partner-webhooks.ts).
 *
 * @example
 * npx cdk deploy -c stage=prod -c fromAddress='Sendwell <no-reply@mail.example.com>' \
 *   -c postalAddress='Example Ltd, 1 Main St, Springfield' -c publicBaseUrl=https://mail.example.com
 */
import { App } from 'aws-cdk-lib';
import { createSendwellApp } from '../lib/sendwell-app.ts';

const app = new App();
createSendwellApp(app);
app.synth();
