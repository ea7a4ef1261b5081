/**
 * The sending settings (base URL of the public pages, From, postal address, configuration set, unsubscribe mailbox)
 * from the environment, and the one way every group of settings is read from it: each variable checked by a small
 * rule, every bad one named in one message. Hand-checked rather than through zod: the preference page and the confirm
 * link read them, and a validation library at their cold start is what a recipient would wait for.
 */
import type { Settings } from '../services/deps.ts';
import { ENV } from '../wiring/env-keys.ts';
import { isBareAddress } from '../domain/email-address.ts';
import { checkPublicBaseUrl } from './config.ts';

/** Reads one variable: its value, or what is wrong with it. */
export type EnvRule<T> = (raw: string | undefined) => { readonly value: T } | { readonly problem: string };

/** Reads every variable of `rules` from `env`; throws one message naming every bad one (`what` says which settings). */
export function readEnv<R extends Record<string, EnvRule<unknown>>>(
  env: NodeJS.ProcessEnv,
  what: string,
  rules: R,
): { [K in keyof R]: R[K] extends EnvRule<infer T> ? T : never } {
  const out: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [name, rule] of Object.entries(rules)) {
    const read = rule(env[name]);
    if ('problem' in read) problems.push(`${name}: ${read.problem}`);
    else out[name] = read.value;
  }
  if (problems.length > 0) throw new Error(`Sendwell ${what} are invalid: ${problems.join('; ')}`);
  return out as { [K in keyof R]: R[K] extends EnvRule<infer T> ? T : never };
}

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
