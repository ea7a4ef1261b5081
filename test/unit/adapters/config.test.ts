import { describe, expect, it } from 'vitest';
import { ConfigError, parseBranding, parseConfig } from '../../../lambdas/adapters/config.ts';
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

describe('parseBranding', () => {
  it('reads the sender name, logo and postal address the local stack sets', () => {
    expect(parseBranding(env)).toEqual({ senderName: 'Sendwell Local', postalAddress: 'Sendwell Local, 1 Example Street, Springfield' });
    expect(parseBranding({ ...env, SENDWELL_LOGO_URL: 'https://cdn.shop.example/logo.png' }).logoUrl).toBe('https://cdn.shop.example/logo.png');
  });

  it('takes the sender name from the from address when none is set, and treats blanks as unset', () => {
    expect(parseBranding({ SENDWELL_FROM_ADDRESS: '"Shop News" <news@shop.example>', SENDWELL_SENDER_NAME: ' ' })).toEqual({ senderName: 'Shop News' });
    expect(parseBranding({ SENDWELL_FROM_ADDRESS: 'news@shop.example' })).toEqual({});
  });

  it('refuses a logo that is not an https URL, naming the variable', () => {
    for (const logo of ['http://cdn.shop.example/logo.png', 'javascript:alert(1)', 'logo.png']) {
      expect(() => parseBranding({ SENDWELL_LOGO_URL: logo })).toThrow(/SENDWELL_LOGO_URL/);
    }
  });
});
