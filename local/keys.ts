import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The local stand-ins for the two AWS secrets: token keys (`{"current":"k1","k1":"…"}`) and the pseudonym secret. */
export interface LocalKeys {
  readonly tokenKeys: string;
  readonly pseudonymKey: string;
}

export function generateKeys(): LocalKeys {
  return {
    tokenKeys: JSON.stringify({ current: 'k1', k1: randomBytes(32).toString('base64url') }),
    pseudonymKey: randomBytes(32).toString('base64url'),
  };
}

/**
 * Keys generated once into `<dataDir>/keys.json` (mode 0600) and reused, so links in mail sent before a restart keep
 * working and address hashes keep finding their suppressions.
 */
export function resolveLocalKeys(dataDir: string): LocalKeys {
  const file = join(dataDir, 'keys.json');
  if (existsSync(file)) {
    const stored = JSON.parse(readFileSync(file, 'utf8')) as Partial<LocalKeys>;
    if (typeof stored.tokenKeys === 'string' && typeof stored.pseudonymKey === 'string') {
      return { tokenKeys: stored.tokenKeys, pseudonymKey: stored.pseudonymKey };
    }
  }
  const keys = generateKeys();
  writeFileSync(file, `${JSON.stringify(keys, null, 2)}\n`, { mode: 0o600 });
  return keys;
}
