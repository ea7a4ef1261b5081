/**
 * Runs in each integration test worker before its test file is imported: the handlers then read the same
 * environment they get on the local stack, pointed at this run's servers.
 */
import { inject } from 'vitest';
import { ENV } from '../../lambdas/wiring/env-keys.ts';
import { handlerEnv } from '../../local/handler-env.ts';
import { guardHandlerTables } from '../../local/table-access-guard.ts';

const servers = inject('sendwell');
// Handler logs at INFO would drown the test report; tests that read logs set their own level first.
process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
// The marketing auto-pause is stage-wide: once the campaign tests have sent thousands of mails into the shared
// counters, the bounces and complaints other files feed on purpose would pause marketing for every file of the run.
// It is judged only from this many mails; `marketing-pause.test.ts` tests it on tables of its own with a small one.
process.env[ENV.pauseMinSent] ??= '1000000000';
Object.assign(
  process.env,
  handlerEnv({
    dynamodb: servers.dynamodbEndpoint,
    ses: servers.sesEndpoint,
    publicBaseUrl: 'http://127.0.0.1:3000',
    tablePrefix: servers.tablePrefix,
    keys: servers.keys,
  }),
);
// Every handler's table calls are checked against its function's declared grants, as IAM does on AWS.
await guardHandlerTables();
