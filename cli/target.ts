/**
 * Which API the CLI talks to and how it proves who it is: the local stack with its admin key, or a deployed API
 * with SigV4 and the standard AWS credential chain.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { localDataDir, readAdminKey } from '../local/admin-key.ts';
import { CliError, UsageError } from './errors.ts';
import { apiClient, type ApiClient, type Auth } from './http.ts';
import type { Io } from './io.ts';
import { createSigner, credentialChain, resolveRegion } from './sigv4.ts';

const repoRoot = resolve(fileURLToPath(import.meta.url), '../..');

export interface TargetOptions {
  readonly api?: string | undefined;
  readonly region?: string | undefined;
  readonly auth?: string | undefined;
}

/** `--api`, else `SENDWELL_API_URL`, else the local stack on `SENDWELL_PORT` (3000). */
export function apiUrl(flag: string | undefined, env: NodeJS.ProcessEnv): URL {
  const raw = flag || env.SENDWELL_API_URL || `http://127.0.0.1:${env.SENDWELL_PORT || 3000}`;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`--api ${raw} is not a URL (e.g. https://abc123.execute-api.eu-west-1.amazonaws.com).`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--api ${raw} must be an http(s) URL.`);
  return url;
}

const isLoopback = (url: URL) => ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);

/** The local stack (a loopback address) takes the admin key; anything else is a deployed API behind IAM. */
export function authKind(url: URL, flag: string | undefined): 'key' | 'sigv4' {
  if (flag === undefined) return isLoopback(url) ? 'key' : 'sigv4';
  if (flag === 'key' || flag === 'sigv4') return flag;
  throw new UsageError(`--auth takes \`key\` or \`sigv4\`, not \`${flag}\`.`);
}

export async function connect(options: TargetOptions, io: Io): Promise<ApiClient> {
  const url = apiUrl(options.api, io.env);
  const base = url.href.replace(/\/+$/, '');
  let auth: Auth;
  if (authKind(url, options.auth) === 'key') {
    const found = readAdminKey(localDataDir(repoRoot, io.env), io.env);
    if (!found) {
      throw new CliError(
        `No local admin key: set SENDWELL_ADMIN_KEY, or start the local stack once (\`npm start\`) so it writes ${localDataDir(repoRoot, io.env)}/admin-key.`,
      );
    }
    auth = { kind: 'key', key: found.key };
  } else {
    auth = { kind: 'sigv4', sign: createSigner({ region: resolveRegion(url, options.region, io.env), credentials: await credentialChain() }) };
  }
  return apiClient(base, auth, io.fetch);
}
