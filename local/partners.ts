import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PartnersSchema } from '../lambdas/adapters/partners.ts';
import { LocalStackError } from './errors.ts';

/**
 * The partner webhooks of the local stack: `<dataDir>/partners.json`, created empty (`[]`) on first start. Edit it
 * (`[{"id": "crm", "url": "http://127.0.0.1:9000/hook", "secret": "…16+ chars…", "includeAddress": false}]`) and
 * restart to relay consent changes to a local receiver.
 */
export function localPartners(dataDir: string): string {
  const file = join(dataDir, 'partners.json');
  if (!existsSync(file)) writeFileSync(file, '[]\n', { mode: 0o600 });
  const text = readFileSync(file, 'utf8');
  try {
    PartnersSchema.parse(JSON.parse(text));
  } catch (e) {
    throw new LocalStackError(`${file} is not a valid list of partner webhooks (${(e as Error).message.split('\n')[0]}): fix it or delete it.`);
  }
  return text;
}
