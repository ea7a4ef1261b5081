/**
 * SigV4 against the published AWS Signature Version 4 test suite (credentials AKIDEXAMPLE, 2015-08-30T12:36:00Z,
 * us-east-1, service `service`): the expected Authorization headers are AWS's, not computed here.
 */
import { describe, expect, it } from 'vitest';
import { createSigner, regionFromUrl, resolveRegion } from '../../../cli/sigv4.ts';
import { runCli, scriptedServer } from '../../support/cli.ts';

const SUITE_CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const SUITE_DATE = new Date('2015-08-30T12:36:00Z');
const suiteSigner = createSigner({ region: 'us-east-1', service: 'service', credentials: SUITE_CREDENTIALS, now: () => SUITE_DATE });
const scope = 'Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request';

describe('the AWS SigV4 test suite', () => {
  it('get-vanilla', async () => {
    const headers = await suiteSigner({ method: 'GET', url: new URL('https://example.amazonaws.com/'), headers: {} });
    expect(headers['x-amz-date']).toBe('20150830T123600Z');
    expect(headers.authorization).toBe(
      `AWS4-HMAC-SHA256 ${scope}, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31`,
    );
  });

  it('get-vanilla-query-order-key-case', async () => {
    const headers = await suiteSigner({ method: 'GET', url: new URL('https://example.amazonaws.com/?Param2=value2&Param1=value1'), headers: {} });
    expect(headers.authorization).toBe(
      `AWS4-HMAC-SHA256 ${scope}, SignedHeaders=host;x-amz-date, Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500`,
    );
  });

  it('post-vanilla', async () => {
    const headers = await suiteSigner({ method: 'POST', url: new URL('https://example.amazonaws.com/'), headers: {} });
    expect(headers.authorization).toBe(
      `AWS4-HMAC-SHA256 ${scope}, SignedHeaders=host;x-amz-date, Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b`,
    );
  });

  it('post-x-www-form-urlencoded (the body is part of the signature)', async () => {
    const request = { method: 'POST', url: new URL('https://example.amazonaws.com/'), headers: { 'content-type': 'application/x-www-form-urlencoded' } };
    const headers = await suiteSigner({ ...request, body: 'Param1=value1' });
    expect(headers.authorization).toBe(
      `AWS4-HMAC-SHA256 ${scope}, SignedHeaders=content-type;host;x-amz-date, Signature=ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a`,
    );
    const other = await suiteSigner({ ...request, body: 'Param1=value2' });
    expect(other.authorization).not.toBe(headers.authorization);
  });

  it('temporary credentials add and sign the session token', async () => {
    const signer = createSigner({ region: 'us-east-1', service: 'service', credentials: { ...SUITE_CREDENTIALS, sessionToken: 'token-1' }, now: () => SUITE_DATE });
    const headers = await signer({ method: 'GET', url: new URL('https://example.amazonaws.com/'), headers: {} });
    expect(headers['x-amz-security-token']).toBe('token-1');
    expect(headers.authorization).toContain('SignedHeaders=host;x-amz-date;x-amz-security-token,');
  });
});

describe('region', () => {
  it('comes from --region, then the execute-api hostname, then the environment', () => {
    const api = new URL('https://abc123.execute-api.eu-west-1.amazonaws.com');
    expect(regionFromUrl(api)).toBe('eu-west-1');
    expect(resolveRegion(api, 'us-east-2', { AWS_REGION: 'ap-south-1' })).toBe('us-east-2');
    expect(resolveRegion(api, undefined, { AWS_REGION: 'ap-south-1' })).toBe('eu-west-1');
    expect(resolveRegion(new URL('https://mail-api.example.com'), undefined, { AWS_DEFAULT_REGION: 'ap-south-1' })).toBe('ap-south-1');
    expect(() => resolveRegion(new URL('https://mail-api.example.com'), undefined, {})).toThrow('pass --region or set AWS_REGION');
  });
});

describe('on the wire', () => {
  it('the CLI sends exactly what it signed, with credentials from the AWS chain (environment)', async () => {
    const server = await scriptedServer(() => [201, { id: 'news', name: 'News', description: '', doubleOptIn: false, createdAt: '2026-11-22T00:00:00Z' }]);
    try {
      const env = { AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: SUITE_CREDENTIALS.secretAccessKey, AWS_SESSION_TOKEN: 'tok', AWS_REGION: 'eu-central-1' };
      // A child process: the AWS credential chain reads the real environment.
      const result = await runCli(['topics', 'create', '--id', 'news', '--name', 'News', '--api', `${server.url}/prod`, '--auth', 'sigv4'], env);
      expect(result).toEqual({ code: 0, stdout: 'Created topic news (News).\n', stderr: '' });
      const [received] = server.requests;
      expect(received?.url).toBe('/prod/v1/topics');
      const header = (name: string) => String(received?.headers[name] ?? '');
      const when = header('x-amz-date');
      expect(header('authorization')).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-central-1\/execute-api\/aws4_request, SignedHeaders=accept;content-type;host;x-amz-date;x-amz-security-token, Signature=[0-9a-f]{64}$/);
      // Signing what the server received, at the time the client said, must give the very same header.
      const again = await createSigner({
        region: 'eu-central-1',
        credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: SUITE_CREDENTIALS.secretAccessKey, sessionToken: 'tok' },
        now: () => new Date(`${when.slice(0, 4)}-${when.slice(4, 6)}-${when.slice(6, 11)}:${when.slice(11, 13)}:${when.slice(13, 15)}Z`),
      })({
        method: received?.method ?? '',
        url: new URL(received?.url ?? '', `http://${header('host')}`),
        headers: { accept: header('accept'), 'content-type': header('content-type') },
        body: received?.body ?? '',
      });
      expect(again.authorization).toBe(header('authorization'));
      expect(JSON.parse(received?.body ?? '')).toEqual({ id: 'news', name: 'News', description: '' });
    } finally {
      await server.stop();
    }
  });
});
