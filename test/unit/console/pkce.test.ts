/** The pure parts of the console's Cognito sign-in: PKCE (RFC 7636), the URLs, reading the token answer. */
import { describe, expect, it } from 'vitest';
import { authorizeUrl, base64url, challengeFor, jwtClaims, logoutUrl, parseTokenResponse, randomVerifier, readCallback, tokenRequest, type CognitoConfig } from '../../../console/src/auth/pkce.ts';

const config: CognitoConfig = {
  kind: 'cognito',
  domain: 'https://sendwell-prod.auth.eu-west-1.amazoncognito.com/',
  clientId: 'abc123client',
  redirectUri: 'https://console.example.com/console/',
  logoutUri: 'https://console.example.com/console/',
};

const jwt = (claims: object) => `${base64url(new TextEncoder().encode('{"alg":"RS256"}'))}.${base64url(new TextEncoder().encode(JSON.stringify(claims)))}.c2ln`;

describe('PKCE', () => {
  it('derives the S256 challenge of RFC 7636 appendix B', async () => {
    // The verifier and challenge printed in RFC 7636, Appendix B.
    expect(await challengeFor('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
  });

  it('makes verifiers of 43 unreserved characters, different each time', () => {
    const a = randomVerifier();
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(randomVerifier()).not.toBe(a);
    expect(randomVerifier((b) => b.fill(0))).toBe('A'.repeat(43));
  });

  it('refuses a verifier outside the RFC alphabet or length', async () => {
    await expect(challengeFor('short')).rejects.toThrow(/43-128/);
    await expect(challengeFor('x'.repeat(42) + '!')).rejects.toThrow();
  });
});

describe('the Cognito URLs', () => {
  it('builds the authorize URL with the code flow, the challenge and the state', () => {
    const url = new URL(authorizeUrl(config, 'st4te', 'ch4llenge'));
    expect(url.origin + url.pathname).toBe('https://sendwell-prod.auth.eu-west-1.amazoncognito.com/oauth2/authorize');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      response_type: 'code',
      client_id: 'abc123client',
      redirect_uri: 'https://console.example.com/console/',
      scope: 'openid email profile',
      state: 'st4te',
      code_challenge: 'ch4llenge',
      code_challenge_method: 'S256',
    });
  });

  it('posts the code and the verifier, form-encoded, to the token endpoint (no client secret)', () => {
    const { url, init } = tokenRequest(config, 'the-code', 'the-verifier');
    expect(url).toBe('https://sendwell-prod.auth.eu-west-1.amazoncognito.com/oauth2/token');
    expect(init.method).toBe('POST');
    expect((init.headers as Record<string, string>)['content-type']).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(new URLSearchParams(String(init.body)))).toEqual({
      grant_type: 'authorization_code',
      client_id: 'abc123client',
      code: 'the-code',
      redirect_uri: 'https://console.example.com/console/',
      code_verifier: 'the-verifier',
    });
  });

  it('signs out through /logout with the client id and the sign-out URL', () => {
    const url = new URL(logoutUrl(config));
    expect(url.pathname).toBe('/logout');
    expect(url.searchParams.get('client_id')).toBe('abc123client');
    expect(url.searchParams.get('logout_uri')).toBe('https://console.example.com/console/');
  });

  it('reads the callback: a code and state, an error, or nothing', () => {
    expect(readCallback('?code=c0de&state=s')).toEqual({ code: 'c0de', state: 's' });
    expect(readCallback('?error=access_denied&error_description=User+is+disabled')).toEqual({ error: 'access_denied: User is disabled' });
    expect(readCallback('')).toBeUndefined();
    expect(readCallback('?code=only')).toBeUndefined();
  });
});

describe('the token answer', () => {
  const now = Date.parse('2026-11-22T10:00:00Z');

  it('keeps the ID token and the earlier of expires_in and the token exp', () => {
    const idToken = jwt({ sub: 'u1', email: 'ada@example.com', 'cognito:groups': ['marketing'], exp: now / 1000 + 600 });
    const t = parseTokenResponse(200, { id_token: idToken, access_token: 'at', refresh_token: 'rt', expires_in: 3600, token_type: 'Bearer' }, now);
    expect(t.idToken).toBe(idToken);
    expect(t.accessToken).toBe('at');
    expect(t.expiresAt).toBe(now + 600_000);
    expect(t.claims).toMatchObject({ email: 'ada@example.com', 'cognito:groups': ['marketing'] });
    expect(t.refreshToken).toBe('rt');
    const refreshed = parseTokenResponse(200, { id_token: jwt({ sub: 'u1' }), access_token: 'at', expires_in: 60 }, now);
    expect(refreshed.expiresAt).toBe(now + 60_000);
    expect(refreshed.refreshToken).toBeUndefined();
  });

  it('turns an OAuth error into a message that names it', () => {
    expect(() => parseTokenResponse(400, { error: 'invalid_grant' }, now)).toThrow('Sign-in failed at the token endpoint: invalid_grant');
    expect(() => parseTokenResponse(400, { error: 'invalid_request', error_description: 'code_verifier mismatch' }, now)).toThrow(/invalid_request \(code_verifier mismatch\)/);
    expect(() => parseTokenResponse(500, 'oops', now)).toThrow(/HTTP 500/);
  });

  it('refuses an answer without an ID token, or with a token that is not a JWT', () => {
    expect(() => parseTokenResponse(200, { access_token: 'at' }, now)).toThrow(/no ID token/);
    expect(() => parseTokenResponse(200, { id_token: 'not-a-jwt', access_token: 'at' }, now)).toThrow(/not a JWT/);
    expect(() => parseTokenResponse(200, { id_token: jwt({}), access_token: 'at', token_type: 'mac' }, now)).toThrow(/token type/);
  });

  it('decodes base64url claims with characters outside ASCII', () => {
    expect(jwtClaims(jwt({ name: 'Zoë Ünal' })).name).toBe('Zoë Ünal');
  });
});
