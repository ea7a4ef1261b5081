/**
 * The sending settings (base URL of the public pages, From, postal address, configuration set, unsubscribe mailbox)
 * from the environment, read with `readEnv` (config.ts), and the rules the other groups of settings are made of.
 * Hand-checked rather than through zod: the preference page and the confirm link read them, and a validation library
 * at their cold start is what a recipient would wait for.
 */
import type { Settings } from '../services/deps.ts';
import { ENV } from '../wiring/env-keys.ts';
import { isBareAddress } from '../domain/email-address.ts';
import { checkPublicBaseUrl, readEnv, type EnvRule } from './config.ts';

/** Text of at least `min` characters; `hint` says what to set when it is missing or shorter. */
export const text =
  (min: number, hint: string): EnvRule<string> =>
  (raw) =>
    raw !== undefined && raw.trim().length >= min ? { value: raw } : { problem: hint };

/** Any text, or nothing (an empty value is nothing). */
export const optionalText: EnvRule<string | undefined> = (raw) => ({ value: raw || undefined });

/** A number within bounds, or nothing (an empty value is nothing); `below` may carry its own message. */
export const optionalNumber =
  (bounds: { integer?: boolean; min?: number; max?: number; above?: number; below?: number; belowHint?: string }): EnvRule<number | undefined> =>
  (raw) => {
    if (raw === undefined || raw === '') return { value: undefined };
    const n = raw.trim() === '' ? Number.NaN : Number(raw);
    if (!Number.isFinite(n)) return { problem: `must be a number, got "${raw}"` };
    if (bounds.integer && !Number.isInteger(n)) return { problem: `must be a whole number, got ${n}` };
    if (bounds.min !== undefined && n < bounds.min) return { problem: `must be at least ${bounds.min}, got ${n}` };
    if (bounds.max !== undefined && n > bounds.max) return { problem: `must be at most ${bounds.max}, got ${n}` };
    if (bounds.above !== undefined && n <= bounds.above) return { problem: `must be above ${bounds.above}, got ${n}` };
    if (bounds.below !== undefined && n >= bounds.below) return { problem: bounds.belowHint ?? `must be below ${bounds.below}, got ${n}` };
    return { value: n };
  };

const SETTINGS = {
  // The rule parsePublicBaseUrl applies too: the public routes read the base URL alone.
  [ENV.publicBaseUrl]: checkPublicBaseUrl,
  [ENV.fromAddress]: text(3, 'set the SES identity mail is sent from'),
  [ENV.postalAddress]: text(3, 'set the postal address shown in marketing mail'),
  [ENV.sesConfigurationSet]: optionalText,
  [ENV.unsubscribeMailbox]: ((raw) =>
    !raw ? { value: undefined } : isBareAddress(raw) ? { value: raw } : { problem: 'a bare email address, e.g. unsubscribe@mail.example.com' }) as EnvRule<string | undefined>,
};

export function parseSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  const e = readEnv(env, 'sending settings', SETTINGS);
  return {
    publicBaseUrl: e[ENV.publicBaseUrl],
    fromAddress: e[ENV.fromAddress],
    postalAddress: e[ENV.postalAddress],
    ...(e[ENV.sesConfigurationSet] ? { configurationSet: e[ENV.sesConfigurationSet] } : {}),
    ...(e[ENV.unsubscribeMailbox] ? { unsubscribeMailbox: e[ENV.unsubscribeMailbox] } : {}),
  };
}
