/**
 * Who is signed in, kept in this tab's sessionStorage only (never localStorage, never a cookie): the API key
 * (local stack) or the Cognito ID token with its expiry. The PKCE verifier and state wait there during a sign-in.
 */
import { authorizeUrl, challengeFor, logoutUrl, parseTokenResponse, randomVerifier, readCallback, tokenRequest, type CognitoConfig } from './auth/pkce.ts';

export type AuthConfig = { readonly kind: 'key' } | CognitoConfig;

export interface ConsoleConfig {
  readonly auth: AuthConfig;
  readonly apiBase: string;
}

const KEY = 'sendwell.console.key';
const ID_TOKEN = 'sendwell.console.idToken';
const EXPIRES = 'sendwell.console.expiresAt';
const PENDING = 'sendwell.console.pkce';

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
  const tokens = parseTokenResponse(res.status, await res.json().catch(() => ({})), Date.now());
  sessionStorage.setItem(ID_TOKEN, tokens.idToken);
  sessionStorage.setItem(EXPIRES, String(tokens.expiresAt));
  return pending.returnTo;
}

export function signOut(auth: AuthConfig) {
  clearSession();
  if (auth.kind === 'cognito') location.assign(logoutUrl(auth));
}
