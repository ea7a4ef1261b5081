import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The local admin key: `SENDWELL_ADMIN_KEY` if set, else the key generated once into `<dataDir>/admin-key`
 * (mode 0600) and reused on every start.
 */
export function resolveAdminKey(dataDir: string, env: NodeJS.ProcessEnv = process.env): { key: string; source: string } {
  const fromEnv = env.SENDWELL_ADMIN_KEY?.trim();
  if (fromEnv) return { key: fromEnv, source: 'SENDWELL_ADMIN_KEY' };
  const file = join(dataDir, 'admin-key');
  if (existsSync(file)) {
    const key = readFileSync(file, 'utf8').trim();
    if (key.length >= 16) return { key, source: file };
  }
  const key = `swl_${randomBytes(24).toString('base64url')}`;
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return { key, source: file };
}
