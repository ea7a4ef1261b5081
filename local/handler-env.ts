/**
 * The environment the Lambda handlers see on the local stack and in the integration tests: the same keys CDK sets
 * (`lambdas/wiring/env-keys.ts`), pointed at DynamoDB Local and the local SES.
 */
import { ENV } from '../lambdas/wiring/env-keys.ts';
import { TABLE_LIST, type TableDef } from '../lambdas/wiring/tables.ts';
import type { LocalKeys } from './keys.ts';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from './local-aws.ts';

export const localTableName = (def: TableDef, prefix = 'sendwell'): string => `${prefix}-${def.id}`;

export interface LocalEndpoints {
  readonly dynamodb: string;
  readonly ses: string;
  /** Where the public pages are served; links in locally sent mail point here. */
  readonly publicBaseUrl: string;
  readonly tablePrefix?: string;
  readonly keys: LocalKeys;
}

export function handlerEnv(endpoints: LocalEndpoints): Record<string, string> {
  const tables = Object.fromEntries(TABLE_LIST.map((def) => [def.envKey, localTableName(def, endpoints.tablePrefix)]));
  return {
    ...tables,
    [ENV.stage]: 'local',
    [ENV.dynamodbEndpoint]: endpoints.dynamodb,
    [ENV.sesEndpoint]: endpoints.ses,
    [ENV.sesConfigurationSet]: 'sendwell-local',
    [ENV.fromAddress]: 'Sendwell Local <no-reply@sendwell.local>',
    [ENV.publicBaseUrl]: endpoints.publicBaseUrl,
    [ENV.postalAddress]: 'Sendwell Local, 1 Example Street, Springfield',
    // The name on the public pages; no logo locally (SENDWELL_LOGO_URL takes an https URL of one).
    [ENV.senderName]: 'Sendwell Local',
    [ENV.unsubscribeMailbox]: 'unsubscribe@sendwell.local',
    [ENV.tokenKeys]: endpoints.keys.tokenKeys,
    [ENV.pseudonymKey]: endpoints.keys.pseudonymKey,
    // The local SES takes well over a thousand mails a second; 100 keeps a demo campaign quick and the rate visible.
    [ENV.sendRate]: '100',
    // The SES event emulator reports a send within a second: a claim left `sending` can be settled soon after. Set
    // it longer than any outage of the event path (a DynamoDB Local restart on a loaded machine can take more).
    [ENV.sendReconcileSeconds]: process.env[ENV.sendReconcileSeconds] ?? '10',
    AWS_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    POWERTOOLS_SERVICE_NAME: 'sendwell',
    POWERTOOLS_METRICS_NAMESPACE: 'Sendwell',
    POWERTOOLS_TRACE_DISABLED: 'true',
    POWERTOOLS_DEV: 'false',
    // EMF lines would fill the console of `npm start` and the test output; on AWS they are the CloudWatch metrics.
    POWERTOOLS_METRICS_DISABLED: 'true',
  };
}
