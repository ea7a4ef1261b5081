/**
 * Who is signed in, kept in this tab's sessionStorage only (never localStorage, never a cookie): the API key
 * (local stack) or the Cognito ID token with its expiry. The sign-in's refresh token stays in this page's memory only
 * (no storage a script could read later): it asks for a new ID token before one expires (15 minutes) for as long as
 * it lasts (8 hours: lib/console-auth.ts), so a screen is not taken away, with what was typed into it, every 15
 * minutes; a reload forgets it, and the next expiry asks to sign in again. The PKCE verifier and state wait in
 * sessionStorage during a sign-in.
 */
import { authorizeUrl, challengeFor, logoutUrl, parseTokenResponse, randomVerifier, readCallback, refreshRequest, tokenRequest, type CognitoConfig, type Tokens } from './auth/pkce.ts';

export type AuthConfig = { readonly kind: 'key' } | CognitoConfig;

export interface ConsoleConfig {
  readonly auth: AuthConfig;
  readonly apiBase: string;
}

const KEY = 'sendwell.console.key';
const ID_TOKEN = 'sendwell.console.idToken';
const EXPIRES = 'sendwell.console.expiresAt';
const PENDING = 'sendwell.console.pkce';
/** An ID token this close to its expiry is renewed before a call rather than sent and refused on the way. */
const RENEW_BEFORE_MS = 60_000;

export function currentToken(): string | undefined {
  const key = sessionStorage.getItem(KEY);
  if (key) return key;
  const id = sessionStorage.getItem(ID_TOKEN);
  const expires = Number(sessionStorage.getItem(EXPIRES) ?? 0);
  if (id && expires > Date.now()) return id;
  return undefined;
}

export const setKey = (key: string) => sessionStorage.setItem(KEY, key);

export function clearSession() {
  for (const k of [KEY, ID_TOKEN, EXPIRES, PENDING]) sessionStorage.removeItem(k);
  refreshToken = undefined;
}

/** The sign-in's refresh token: in memory only. */
let refreshToken: string | undefined;

/** Keeps a token answer: the ID token and its expiry in sessionStorage, a refresh token (the code's answer only) in memory. */
export function rememberTokens(tokens: Tokens) {
  sessionStorage.setItem(ID_TOKEN, tokens.idToken);
  sessionStorage.setItem(EXPIRES, String(tokens.expiresAt));
  if (tokens.refreshToken) refreshToken = tokens.refreshToken;
}

let renewing: Promise<string | undefined> | undefined;

/**
 * The token to call the API with: {@link currentToken}, renewed with the refresh token when the ID token is about to
 * expire (one renewal at a time, whatever the calls waiting for it). Undefined when there is none left: the refresh
 * token expired or was revoked, and the person signs in again.
 */
export async function freshToken(auth: AuthConfig): Promise<string | undefined> {
  if (auth.kind !== 'cognito' || sessionStorage.getItem(KEY)) return currentToken();
  const expires = Number(sessionStorage.getItem(EXPIRES) ?? 0);
  const refresh = refreshToken;
  if (expires - RENEW_BEFORE_MS > Date.now() || !refresh) return currentToken();
  renewing ??= (async () => {
    try {
      const { url, init } = refreshRequest(auth, refresh);
      const res = await fetch(url, init);
      rememberTokens(parseTokenResponse(res.status, await res.json().catch(() => ({})), Date.now()));
    } catch {
      // Refused or unreachable: the ID token is used while it lasts, then the person signs in again.
    } finally {
      renewing = undefined;
    }
    return currentToken();
  })();
  return renewing;
}

export async function startCognitoSignIn(config: CognitoConfig, returnTo: string): Promise<void> {
  const verifier = randomVerifier();
  const state = randomVerifier();
  sessionStorage.setItem(PENDING, JSON.stringify({ verifier, state, returnTo }));
  location.assign(authorizeUrl(config, state, await challengeFor(verifier)));
}

/** On the callback URL: trades the code for tokens. Returns where to go next, or undefined when not a callback. */
export async function finishCognitoSignIn(config: CognitoConfig): Promise<string | undefined> {
  const cb = readCallback(location.search);
  if (!cb) return undefined;
  if ('error' in cb) throw new Error(`Sign-in was refused: ${cb.error}`);
  const pending = JSON.parse(sessionStorage.getItem(PENDING) ?? 'null') as { verifier: string; state: string; returnTo: string } | null;
  sessionStorage.removeItem(PENDING);
  if (!pending || pending.state !== cb.state) throw new Error('Sign-in failed: this answer does not belong to a sign-in started in this tab. Sign in again.');
  const { url, init } = tokenRequest(config, cb.code, pending.verifier);
  const res = await fetch(url, init);
  rememberTokens(parseTokenResponse(res.status, await res.json().catch(() => ({})), Date.now()));
  return pending.returnTo;
}

export function signOut(auth: AuthConfig) {
  clearSession();
  if (auth.kind === 'cognito') location.assign(logoutUrl(auth));
}
