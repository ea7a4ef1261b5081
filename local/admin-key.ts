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

/** The console roles the local stack has a key for (admin has the admin key). */
export type LocalRoleName = 'marketing' | 'ops' | 'privacy';
const ROLE_NAMES: readonly LocalRoleName[] = ['marketing', 'ops', 'privacy'];
const ROLE_ENV: Readonly<Record<LocalRoleName, string>> = {
  marketing: 'SENDWELL_MARKETING_KEY',
  ops: 'SENDWELL_OPS_KEY',
  privacy: 'SENDWELL_PRIVACY_KEY',
};

export interface RoleKeys {
  readonly keys: Record<LocalRoleName, string>;
  /** Where each key came from: its environment variable or the file. */
  readonly sources: Record<LocalRoleName, string>;
  readonly file: string;
}

const newKey = (prefix: string) => `${prefix}_${randomBytes(24).toString('base64url')}`;

function readRoleFile(file: string): Partial<Record<LocalRoleName, string>> {
  if (!existsSync(file)) return {};
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    return Object.fromEntries(ROLE_NAMES.flatMap((r) => (typeof parsed[r] === 'string' && (parsed[r] as string).length >= 16 ? [[r, parsed[r]]] : [])));
  } catch {
    return {};
  }
}

/**
 * The local role keys without creating any (clients such as the CLI): each role's environment variable if set, else
 * its key in `<dataDir>/role-keys.json`.
 */
export function readRoleKeys(dataDir: string, env: NodeJS.ProcessEnv = process.env): Partial<Record<LocalRoleName, string>> {
  const file = readRoleFile(join(dataDir, 'role-keys.json'));
  return Object.fromEntries(ROLE_NAMES.flatMap((r) => {
    const key = env[ROLE_ENV[r]]?.trim() || file[r];
    return key ? [[r, key]] : [];
  }));
}

/**
 * A bearer key per console role (marketing, ops, privacy): a request with one is a console user in that group. Each
 * is `SENDWELL_<ROLE>_KEY` if set, else the key generated once into `<dataDir>/role-keys.json` (mode 0600) and
 * reused on every start. A key missing from the file is added; the others are kept.
 */
export function resolveRoleKeys(dataDir: string, env: NodeJS.ProcessEnv = process.env): RoleKeys {
  const path = join(dataDir, 'role-keys.json');
  const stored = readRoleFile(path);
  const file: Record<string, string> = { ...stored };
  for (const r of ROLE_NAMES) file[r] ??= newKey(`swl_${r}`);
  if (ROLE_NAMES.some((r) => stored[r] === undefined)) writeFileSync(path, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
  const keys = {} as Record<LocalRoleName, string>;
  const sources = {} as Record<LocalRoleName, string>;
  for (const r of ROLE_NAMES) {
    const fromEnv = env[ROLE_ENV[r]]?.trim();
    keys[r] = fromEnv || file[r]!;
    sources[r] = fromEnv ? ROLE_ENV[r] : path;
  }
  return { keys, sources, file: path };
}
