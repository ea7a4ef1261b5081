/**
 * The console's session renewal: an ID token about to expire is renewed with the sign-in's refresh token before a
 * call (once, however many calls wait), against a token endpoint on loopback that checks what it is sent.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { base64url, type CognitoConfig } from '../../../console/src/auth/pkce.ts';

// The browser's sessionStorage, as the console uses it (set before session.ts is loaded).
const store = new Map<string, string>();
(globalThis as { sessionStorage?: unknown }).sessionStorage = {
  getItem: (k: string) => store.get(k) ?? null,
  setItem: (k: string, v: string) => void store.set(k, String(v)),
  removeItem: (k: string) => void store.delete(k),
};
const { clearSession, currentToken, freshToken, rememberTokens } = await import('../../../console/src/session.ts');

const jwt = (claims: object) => `${base64url(new TextEncoder().encode('{"alg":"RS256"}'))}.${base64url(new TextEncoder().encode(JSON.stringify(claims)))}.c2ln`;

let server: Server;
let config: CognitoConfig;
const asked: URLSearchParams[] = [];
let refuse = false;

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const form = new URLSearchParams(body);
      asked.push(form);
      if (req.url !== '/oauth2/token' || req.method !== 'POST' || refuse || form.get('refresh_token') !== 'refresh-1') {
        res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'invalid_grant' }));
        return;
      }
      const exp = Math.floor(Date.now() / 1000) + 900;
      // Slow enough that calls made meanwhile wait for this one answer.
      setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id_token: jwt({ exp, n: asked.length }), access_token: 'a', expires_in: 900, token_type: 'Bearer' })), 50);
    });
  });
  await new Promise<void>((r) => server.listen({ host: '127.0.0.1', port: 0 }, () => r()));
  const { port } = server.address() as AddressInfo;
  config = { kind: 'cognito', domain: `http://127.0.0.1:${port}`, clientId: 'client-1', redirectUri: 'https://c.example/console/', logoutUri: 'https://c.example/console/' };
});
afterAll(() => server?.close());

beforeEach(() => {
  clearSession();
  asked.length = 0;
  refuse = false;
});

/** As a sign-in leaves it: the code's answer kept (its refresh token in memory), with an ID token expiring then. */
const signedIn = (expiresInMs: number) => {
  rememberTokens({ idToken: 'id-old', accessToken: 'a', expiresAt: Date.now() + expiresInMs, claims: {}, refreshToken: 'refresh-1' });
};

describe('the console session', () => {
  it('sends the ID token as it is while it lasts: no renewal', async () => {
    signedIn(10 * 60_000);
    expect(await freshToken(config)).toBe('id-old');
    expect(asked).toHaveLength(0);
  });

  it('renews an ID token about to expire with the refresh token, once for all the calls waiting', async () => {
    signedIn(20_000);
    const tokens = await Promise.all([freshToken(config), freshToken(config), freshToken(config)]);
    expect(asked).toHaveLength(1);
    expect(Object.fromEntries(asked[0]!)).toEqual({ grant_type: 'refresh_token', client_id: 'client-1', refresh_token: 'refresh-1' });
    expect(new Set(tokens).size).toBe(1);
    expect(tokens[0]).not.toBe('id-old');
    expect(currentToken()).toBe(tokens[0]);
    // Nothing but the ID token and its expiry in storage; the refresh token (a refresh answer carries none) is kept
    // in memory for the next renewal.
    expect([...store.keys()].sort()).toEqual(['sendwell.console.expiresAt', 'sendwell.console.idToken']);
    store.set('sendwell.console.expiresAt', String(Date.now() + 1_000));
    expect(await freshToken(config)).not.toBe(tokens[0]);
    expect(asked).toHaveLength(2);
  });

  it('renews an expired one too; refused, it has none to give and the person signs in again', async () => {
    signedIn(-1_000);
    expect(await freshToken(config)).toMatch(/\./);
    signedIn(-1_000);
    refuse = true;
    expect(await freshToken(config)).toBeUndefined();
    // Refused while the old one still lasts: that one is used.
    signedIn(30_000);
    expect(await freshToken(config)).toBe('id-old');
  });

  it('never renews an API key (the local stack)', async () => {
    store.set('sendwell.console.key', 'swl_key');
    expect(await freshToken(config)).toBe('swl_key');
    expect(await freshToken({ kind: 'key' })).toBe('swl_key');
    expect(asked).toHaveLength(0);
  });
});
