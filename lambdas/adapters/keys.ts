/**
 * The secrets the runtime needs: the token signing keyring and the pseudonymization secret. On AWS they come from
 * Secrets Manager (fetched once per cold start); on the local stack and in tests from environment variables the
 * local stack fills from a generated, git-ignored file.
 *
 * The pseudonymization secret keys both the address hashes (suppressions and erasure tombstones are found by them)
 * and the IP pseudonyms; each use gets its own key derived with HKDF, so one never doubles as the other.
 */
import { hkdfSync } from 'node:crypto';
import * as z from 'zod';
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

const KeyringJson = z
  .object({ current: z.string().min(1) })
  .catchall(z.string().min(16, 'each token key needs at least 16 characters'))
  .refine((r) => r.current !== 'current' && typeof r[r.current] === 'string', { message: '`current` must name one of the keys' });

const PseudonymJson = z.object({ secret: z.string().min(32, 'the pseudonymization secret needs at least 32 characters') });

export function parseKeyring(json: string): Keyring {
  const parsed = KeyringJson.parse(JSON.parse(json));
  const { current, ...keys } = parsed;
  return { current, keys: keys as Record<string, string> };
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
  return deriveKeys(parseKeyring(tokens), PseudonymJson.parse(JSON.parse(pseudonym)).secret);
}

/** The keys of this process, loaded once per cold start (a failed load is retried on the next call). */
export function runtimeKeys(): Promise<RuntimeKeys> {
  pending ??= load().catch((e: unknown) => {
    pending = undefined;
    throw e;
  });
  return pending;
}
