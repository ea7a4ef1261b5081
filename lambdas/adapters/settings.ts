/**
 * The sending settings (base URL of the public pages, From, postal address, configuration set, unsubscribe mailbox)
 * from the environment, and the one way every group of settings is read from it: parsed with zod, every bad
 * variable named in one message.
 */
import * as z from 'zod';
import type { Settings } from '../services/deps.ts';
import { ENV } from '../wiring/env-keys.ts';
import { isHttpUrl, withoutTrailingSlashes } from './config.ts';

const SettingsSchema = z.object({
  // The same rule as parsePublicBaseUrl, which the public routes read alone.
  [ENV.publicBaseUrl]: z.string().refine(isHttpUrl, 'an http(s) URL').transform(withoutTrailingSlashes),
  [ENV.fromAddress]: z.string().min(3, 'set the SES identity mail is sent from'),
  [ENV.postalAddress]: z.string().min(3, 'set the postal address shown in marketing mail'),
  [ENV.sesConfigurationSet]: z.string().optional(),
  [ENV.unsubscribeMailbox]: z.email().optional(),
});

/** Parses `env` with `schema`; throws one message naming every bad variable (`what` says which settings). */
export function parseEnv<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv, what: string): z.infer<S> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`Sendwell ${what} are invalid: ${problems}`);
  }
  return parsed.data;
}

export function parseSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  const e = parseEnv(SettingsSchema, env, 'sending settings');
  return {
    publicBaseUrl: e[ENV.publicBaseUrl],
    fromAddress: e[ENV.fromAddress],
    postalAddress: e[ENV.postalAddress],
    ...(e[ENV.sesConfigurationSet] ? { configurationSet: e[ENV.sesConfigurationSet] } : {}),
    ...(e[ENV.unsubscribeMailbox] ? { unsubscribeMailbox: e[ENV.unsubscribeMailbox] } : {}),
  };
}
