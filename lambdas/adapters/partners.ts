/**
 * The partner webhooks consent changes are relayed to: from Secrets Manager on AWS (they hold signing secrets),
 * from the environment on the local stack and in tests. Loaded once per cold start.
 */
import { GetSecretValueCommand, ResourceNotFoundException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import * as z from 'zod';
import { ENV } from '../wiring/env-keys.ts';
import { config } from './config.ts';
import { SLUG } from '../domain/slug.ts';

export const PartnerSchema = z.object({
  id: z.string().regex(SLUG),
  url: z.url({ protocol: /^https?$/ }),
  secret: z.string().min(16, 'a partner secret needs at least 16 characters'),
  /** Send the person's address with each event; off unless the partner's contract needs it. */
  includeAddress: z.boolean().default(false),
});
export type Partner = z.infer<typeof PartnerSchema>;

export const PartnersSchema = z.array(PartnerSchema);

let pending: Promise<Partner[]> | undefined;

async function load(): Promise<Partner[]> {
  const local = process.env[ENV.partners];
  if (local !== undefined) return PartnersSchema.parse(JSON.parse(local || '[]'));
  const secretId = process.env[ENV.partnersSecret];
  if (!secretId) return [];
  const sm = new SecretsManagerClient({ region: config().region });
  let secretString: string | undefined;
  try {
    secretString = (await sm.send(new GetSecretValueCommand({ SecretId: secretId }))).SecretString;
  } catch (e) {
    // Created without a value (lib/partner-webhooks.ts): no AWSCURRENT version yet means no partners. A secret
    // that does not exist at all says something else, and still fails the cold start.
    if (e instanceof ResourceNotFoundException && /staging label/.test(e.message)) return [];
    throw e;
  }
  return PartnersSchema.parse(JSON.parse(secretString ?? '[]'));
}

export function partners(): Promise<Partner[]> {
  pending ??= load().catch((e: unknown) => {
    pending = undefined;
    throw e;
  });
  return pending;
}
