/**
 * The pure parts of the OAuth 2.0 authorization-code flow with PKCE (RFC 7636) against a Cognito user pool domain:
 * the verifier and its S256 challenge, the authorize, token and logout requests, and reading the token answer.
 * Nothing here touches the page, storage or the network, so unit tests run it under Node's Web Crypto.
 */

export interface CognitoConfig {
  readonly kind: 'cognito';
  /** `https://<prefix>.auth.<region>.amazoncognito.com` or a custom domain, without a trailing slash. */
  readonly domain: string;
  readonly clientId: string;
  /** Where Cognito sends the browser back with `?code=&state=`; one of the app client's callback URLs. */
  readonly redirectUri: string;
  /** Where `/logout` sends the browser; one of the app client's sign-out URLs. */
  readonly logoutUri: string;
  /** @default ['openid', 'email', 'profile'] */
  readonly scopes?: readonly string[];
}

export interface Tokens {
  readonly idToken: string;
  readonly accessToken: string;
  /** Epoch milliseconds. */
  readonly expiresAt: number;
  /** Claims of the ID token (not verified here: the API verifies the token it is sent). */
  readonly claims: Readonly<Record<string, unknown>>;
  /** What new ID tokens are asked for with when this one expires (the code's answer only; a refresh sends none). */
  readonly refreshToken?: string;
}

/** base64url without padding (RFC 4648 §5), as PKCE and JWTs use it. */
export function base64url(bytes: Uint8Array): string {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** A code verifier: 32 random bytes, base64url (43 characters of the unreserved set, RFC 7636 §4.1). */
export function randomVerifier(random: (bytes: Uint8Array<ArrayBuffer>) => Uint8Array = (b) => crypto.getRandomValues(b)): string {
  return base64url(random(new Uint8Array(32)));
}

/** `BASE64URL(SHA256(ASCII(verifier)))` (RFC 7636 §4.2, method S256). */
export async function challengeFor(verifier: string): Promise<string> {
  if (!/^[A-Za-z0-9._~-]{43,128}$/.test(verifier)) throw new Error('a code verifier is 43-128 characters of A-Z a-z 0-9 - . _ ~');
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  return base64url(new Uint8Array(digest));
}

const trimSlash = (s: string) => s.replace(/\/+$/, '');

/** The `/oauth2/authorize` URL that starts a sign-in. */
export function authorizeUrl(config: CognitoConfig, state: string, challenge: string): string {
  const url = new URL(`${trimSlash(config.domain)}/oauth2/authorize`);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: config.clientId,
    redirect_uri: config.redirectUri,
    scope: (config.scopes ?? ['openid', 'email', 'profile']).join(' '),
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  }).toString();
  return url.toString();
}

/** The `/oauth2/token` request that trades the code for tokens (a public client: no secret, the verifier instead). */
export function tokenRequest(config: CognitoConfig, code: string, verifier: string): { url: string; init: RequestInit } {
  return {
    url: `${trimSlash(config.domain)}/oauth2/token`,
    init: {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', client_id: config.clientId, code, redirect_uri: config.redirectUri, code_verifier: verifier }).toString(),
    },
  };
}

/** The token endpoint request for new ID and access tokens with the refresh token of a sign-in. */
export function refreshRequest(config: CognitoConfig, refreshToken: string): { url: string; init: RequestInit } {
  return {
    url: `${trimSlash(config.domain)}/oauth2/token`,
    init: {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', client_id: config.clientId, refresh_token: refreshToken }).toString(),
    },
  };
}

/** The `/logout` URL: Cognito ends its session and sends the browser to `logoutUri`. */
export function logoutUrl(config: CognitoConfig): string {
  const url = new URL(`${trimSlash(config.domain)}/logout`);
  url.search = new URLSearchParams({ client_id: config.clientId, logout_uri: config.logoutUri }).toString();
  return url.toString();
}

/** The payload of a JWT, decoded (not verified). */
export function jwtClaims(token: string): Record<string, unknown> {
  const part = token.split('.')[1];
  if (part === undefined) throw new Error('the ID token is not a JWT');
  const b64 = part.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(part.length / 4) * 4, '=');
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const claims = JSON.parse(new TextDecoder().decode(bytes)) as unknown;
  if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) throw new Error('the ID token has no claims object');
  return claims as Record<string, unknown>;
}

/**
 * Reads the token endpoint's answer: the tokens, or the OAuth error it names (`invalid_grant`…) as an Error.
 * `now` in epoch milliseconds.
 */
export function parseTokenResponse(status: number, body: unknown, now: number): Tokens {
  const o = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  if (status !== 200 || typeof o.error === 'string') {
    const error = typeof o.error === 'string' ? o.error : `HTTP ${status}`;
    throw new Error(`Sign-in failed at the token endpoint: ${error}${typeof o.error_description === 'string' ? ` (${o.error_description})` : ''}`);
  }
  if (typeof o.id_token !== 'string' || typeof o.access_token !== 'string') throw new Error('Sign-in failed: the token endpoint sent no ID token.');
  const expiresIn = typeof o.expires_in === 'number' && o.expires_in > 0 ? o.expires_in : 3600;
  if (typeof o.token_type === 'string' && o.token_type.toLowerCase() !== 'bearer') throw new Error(`Sign-in failed: unexpected token type ${o.token_type}.`);
  const claims = jwtClaims(o.id_token);
  const exp = typeof claims.exp === 'number' ? claims.exp * 1000 : Infinity;
  return {
    idToken: o.id_token,
    accessToken: o.access_token,
    expiresAt: Math.min(now + expiresIn * 1000, exp),
    claims,
    ...(typeof o.refresh_token === 'string' && o.refresh_token ? { refreshToken: o.refresh_token } : {}),
  };
}

/** Reads the callback URL: the code and state, an error Cognito sent back, or nothing (not a callback). */
export function readCallback(search: string): { code: string; state: string } | { error: string } | undefined {
  const q = new URLSearchParams(search);
  const error = q.get('error');
  if (error) return { error: `${error}${q.get('error_description') ? `: ${q.get('error_description')}` : ''}` };
  const code = q.get('code');
  const state = q.get('state');
  if (code && state) return { code, state };
  return undefined;
}
