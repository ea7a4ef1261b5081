/**
 * Runs in each integration test worker before its test file is imported: the handlers then read the same
 * environment they get on the local stack, pointed at this run's servers.
 */
import { inject } from 'vitest';
import { handlerEnv } from '../../local/handler-env.ts';

const servers = inject('sendwell');
// Handler logs at INFO would drown the test report; tests that read logs set their own level first.
process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
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
