/**
 * Every environment variable the Lambdas read, named once. The CDK constructs set them, the local stack sets them,
 * and `lambdas/adapters/config.ts` parses them with zod at cold start.
 */
export const ENV = {
  stage: 'SENDWELL_STAGE',
  tableRecipients: 'SENDWELL_TABLE_RECIPIENTS',
  tableLedger: 'SENDWELL_TABLE_LEDGER',
  tableSuppressions: 'SENDWELL_TABLE_SUPPRESSIONS',
  tableCampaigns: 'SENDWELL_TABLE_CAMPAIGNS',
  tableMessages: 'SENDWELL_TABLE_MESSAGES',
  tableCounters: 'SENDWELL_TABLE_COUNTERS',
  /** Only set by the local stack and tests: where DynamoDB Local listens. */
  dynamodbEndpoint: 'SENDWELL_DYNAMODB_ENDPOINT',
  /** Only set by the local stack and tests: where the local SES listens. */
  sesEndpoint: 'SENDWELL_SES_ENDPOINT',
  sesConfigurationSet: 'SENDWELL_SES_CONFIGURATION_SET',
  fromAddress: 'SENDWELL_FROM_ADDRESS',
  publicBaseUrl: 'SENDWELL_PUBLIC_BASE_URL',
  postalAddress: 'SENDWELL_POSTAL_ADDRESS',
} as const;

export type EnvKey = (typeof ENV)[keyof typeof ENV];
