import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The local stack's data folder: `SENDWELL_DATA_DIR` (relative to the repository root) or `.sendwell`. */
export function localDataDir(root: string, env: NodeJS.ProcessEnv = process.env): string {
  return resolve(root, env.SENDWELL_DATA_DIR || '.sendwell');
}

/**
 * The local admin key if there is one: `SENDWELL_ADMIN_KEY` if set, else the key in `<dataDir>/admin-key`.
 * Clients (the CLI) read it this way; only the local stack creates one.
 */
export function readAdminKey(dataDir: string, env: NodeJS.ProcessEnv = process.env): { key: string; source: string } | undefined {
  const fromEnv = env.SENDWELL_ADMIN_KEY?.trim();
  if (fromEnv) return { key: fromEnv, source: 'SENDWELL_ADMIN_KEY' };
  const file = join(dataDir, 'admin-key');
  if (existsSync(file)) {
    const key = readFileSync(file, 'utf8').trim();
    if (key.length >= 16) return { key, source: file };
  }
  return undefined;
}

/**
 * The local admin key: `SENDWELL_ADMIN_KEY` if set, else the key generated once into `<dataDir>/admin-key`
 * (mode 0600) and reused on every start.
 */
export function resolveAdminKey(dataDir: string, env: NodeJS.ProcessEnv = process.env): { key: string; source: string } {
  const existing = readAdminKey(dataDir, env);
  if (existing) return existing;
  const file = join(dataDir, 'admin-key');
  const key = `swl_${randomBytes(24).toString('base64url')}`;
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return { key, source: file };
}
