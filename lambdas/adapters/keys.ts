/**
 * The secrets the runtime needs: the token signing keyring and the pseudonymization secret. On AWS they come from
 * Secrets Manager (fetched once per cold start); on the local stack and in tests from environment variables the
 * local stack fills from a generated, git-ignored file.
 *
 * The pseudonymization secret keys both the address hashes (suppressions and erasure tombstones are found by them)
 * and the IP pseudonyms; each use gets its own key derived with HKDF, so one never doubles as the other.
 */
import { hkdfSync } from 'node:crypto';
import type { Keyring } from '../domain/tokens.ts';
import { ENV } from '../wiring/env-keys.ts';
import { config } from './config.ts';

export interface RuntimeKeys {
  readonly tokens: Keyring;
  /** Pepper of `addressHash`; must never change (it finds suppressions and tombstones). */
  readonly addressPepper: Buffer;
  /** Key of `pseudonymizeIp`. */
  readonly ipKey: Buffer;
}

/**
 * The token keyring's JSON, `{"current": "<id>", "<id>": "<key>", …}`: every key at least 16 characters, `current`
 * naming one of them. Checked by hand: every function loads its keys at cold start, the public routes included.
 */
export function parseKeyring(json: string): Keyring {
  const parsed: unknown = JSON.parse(json);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('token keyring: a JSON object of key ids and keys');
  const { current, ...keys } = parsed as Record<string, unknown>;
  if (typeof current !== 'string' || current === '') throw new Error('token keyring: `current` must name one of the keys');
  for (const [id, key] of Object.entries(keys)) {
    if (typeof key !== 'string' || key.length < 16) throw new Error(`token keyring: ${id}: each token key needs at least 16 characters`);
  }
  if (current === 'current' || typeof keys[current] !== 'string') throw new Error('token keyring: `current` must name one of the keys');
  return { current, keys: keys as Record<string, string> };
}

/** The pseudonymization secret's JSON, `{"secret": "…"}`, at least 32 characters. */
function parsePseudonymSecret(json: string): string {
  const secret = (JSON.parse(json) as { secret?: unknown } | null)?.secret;
  if (typeof secret !== 'string' || secret.length < 32) throw new Error('pseudonymization secret: the pseudonymization secret needs at least 32 characters');
  return secret;
}

export function deriveKeys(tokens: Keyring, pseudonymSecret: string): RuntimeKeys {
  const derive = (info: string) => Buffer.from(hkdfSync('sha256', pseudonymSecret, 'sendwell', info, 32));
  return { tokens, addressPepper: derive('address-hash:v1'), ipKey: derive('ip-pseudonym:v1') };
}

let pending: Promise<RuntimeKeys> | undefined;

async function load(): Promise<RuntimeKeys> {
  const env = process.env;
  const localTokens = env[ENV.tokenKeys];
  const localPseudonym = env[ENV.pseudonymKey];
  if (localTokens && localPseudonym) return deriveKeys(parseKeyring(localTokens), localPseudonym);

  const tokenSecret = env[ENV.tokenKeysSecret];
  const pseudonymSecret = env[ENV.pseudonymSecret];
  if (!tokenSecret || !pseudonymSecret) {
    throw new Error(`Sendwell keys are not configured: set ${ENV.tokenKeysSecret} and ${ENV.pseudonymSecret} (AWS) or ${ENV.tokenKeys} and ${ENV.pseudonymKey} (local).`);
  }
  // Loaded here, on AWS only and once per cold start: the local stack and the tests never need the client.
  const { GetSecretValueCommand, SecretsManagerClient } = await import('@aws-sdk/client-secrets-manager');
  const sm = new SecretsManagerClient({ region: config().region });
  const read = async (id: string) => {
    const out = await sm.send(new GetSecretValueCommand({ SecretId: id }));
    if (!out.SecretString) throw new Error(`Secret ${id} has no string value`);
    return out.SecretString;
  };
  const [tokens, pseudonym] = await Promise.all([read(tokenSecret), read(pseudonymSecret)]);
  return deriveKeys(parseKeyring(tokens), parsePseudonymSecret(pseudonym));
}

/** The keys of this process, loaded once per cold start (a failed load is retried on the next call). */
export function runtimeKeys(): Promise<RuntimeKeys> {
  pending ??= load().catch((e: unknown) => {
    pending = undefined;
    throw e;
  });
  return pending;
}
