import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../../lambdas/adapters/config.ts';
import { handlerEnv } from '../../../local/handler-env.ts';
import { generateKeys } from '../../../local/keys.ts';
import { TABLES } from '../../../lambdas/wiring/tables.ts';

const env = handlerEnv({ dynamodb: 'http://127.0.0.1:1', ses: 'http://127.0.0.1:2', publicBaseUrl: 'http://127.0.0.1:3', keys: generateKeys() });

describe('parseConfig', () => {
  it('reads every table name the local stack sets', () => {
    const c = parseConfig(env);
    expect(Object.keys(c.tables).sort()).toEqual(Object.keys(TABLES).sort());
    expect(c.tables.recipients).toBe('sendwell-Recipients');
    expect(c.dynamodbEndpoint).toBe('http://127.0.0.1:1');
  });

  it('fails the cold start naming each missing variable', () => {
    const { SENDWELL_TABLE_LEDGER: _l, SENDWELL_TABLE_MESSAGES: _m, ...partial } = env;
    expect(() => parseConfig(partial)).toThrow(ConfigError);
    expect(() => parseConfig(partial)).toThrow(/SENDWELL_TABLE_LEDGER.*SENDWELL_TABLE_MESSAGES|SENDWELL_TABLE_MESSAGES.*SENDWELL_TABLE_LEDGER/);
  });

  it('rejects an endpoint that is not a URL', () => {
    expect(() => parseConfig({ ...env, SENDWELL_DYNAMODB_ENDPOINT: 'localhost:8000' })).toThrow(/SENDWELL_DYNAMODB_ENDPOINT/);
  });
});
