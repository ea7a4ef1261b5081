/**
 * Configuration from the environment, checked so a bad deployment fails its cold start with a message that names the
 * variable, not with an `undefined` deep inside a request. Checked by hand, without a schema library: every function
 * reads it at cold start, the public routes a recipient waits for included (issue 17).
 */
import { ENV, TABLE_ENV } from '../wiring/env-keys.ts';
import type { TableKey } from '../wiring/tables.ts';

/** An absolute http or https URL. */
export function isHttpUrl(value: string): boolean {
  try {
    return /^https?:$/.test(new URL(value).protocol);
  } catch {
    return false;
  }
}

export interface Config {
  readonly stage: string;
  readonly region: string;
  readonly tables: Readonly<Record<TableKey, string>>;
  readonly dynamodbEndpoint?: string;
  readonly sesEndpoint?: string;
}

/**
 * Tries of one DynamoDB call against DynamoDB Local, for the SDK's client and the lean one alike (on AWS both try 4):
 * DynamoDB Local (local stack, tests) answers a write that waited 10 s for its table's lock with an
 * InternalServerError that says it would have succeeded on AWS; a few more tries ride out a burst.
 */
export const LOCAL_DYNAMODB_ATTEMPTS = 6;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Throws one {@link ConfigError} naming every problem found under `heading` ("Sendwell branding is invalid"), if any. */
function failOnProblems(heading: string, problems: readonly string[]): void {
  if (problems.length > 0) throw new ConfigError(`${heading}: ${problems.join('; ')}`);
}

/** Reads one variable: its value, or what is wrong with it. */
export type EnvRule<T> = (raw: string | undefined) => { readonly value: T } | { readonly problem: string };

/**
 * Reads every variable of `rules` from `env`; throws a {@link ConfigError} naming every bad one (`what` says which
 * settings). The way each group of settings is read (settings.ts, full-container.ts, the base URL below).
 */
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
  failOnProblems(`Sendwell ${what} are invalid`, problems);
  return out as { [K in keyof R]: R[K] extends EnvRule<infer T> ? T : never };
}

/** Parses `env` (default `process.env`); throws a {@link ConfigError} naming every missing or bad variable. */
export function parseConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const problems: string[] = [];
  const tables: Partial<Record<TableKey, string>> = {};
  for (const [key, variable] of Object.entries(TABLE_ENV) as [TableKey, string][]) {
    const name = env[variable];
    if (name === undefined) problems.push(`${variable}: required`);
    else if (name.length < 3 || name.length > 255) problems.push(`${variable}: a table name of 3-255 characters`);
    else tables[key] = name;
  }
  const endpoint = (variable: string) => {
    const value = env[variable];
    if (value !== undefined && !isHttpUrl(value)) problems.push(`${variable}: an http(s) URL`);
    return value;
  };
  const dynamodbEndpoint = endpoint(ENV.dynamodbEndpoint);
  const sesEndpoint = endpoint(ENV.sesEndpoint);
  failOnProblems('Sendwell configuration is invalid', problems);
  return {
    stage: env[ENV.stage] ?? 'local',
    region: env.AWS_REGION ?? 'us-east-1',
    tables: tables as Record<TableKey, string>,
    ...(dynamodbEndpoint !== undefined ? { dynamodbEndpoint } : {}),
    ...(sesEndpoint !== undefined ? { sesEndpoint } : {}),
  };
}

/**
 * `SENDWELL_PUBLIC_BASE_URL`, trailing slashes dropped: all a public route needs of the sending settings
 * (adapters/settings.ts reads the rest, the same way for this one).
 *
 * @throws {ConfigError} naming the variable when it is missing or not an http(s) URL.
 */
export function parsePublicBaseUrl(env: NodeJS.ProcessEnv = process.env): string {
  return readEnv(env, 'sending settings', { [ENV.publicBaseUrl]: checkPublicBaseUrl })[ENV.publicBaseUrl];
}

/** The rule of `SENDWELL_PUBLIC_BASE_URL`, wherever it is read: an http(s) URL, kept without a trailing slash. */
export function checkPublicBaseUrl(value: string | undefined): { readonly value: string } | { readonly problem: string } {
  if (value === undefined) return { problem: 'required' };
  return isHttpUrl(value) ? { value: withoutTrailingSlashes(value) } : { problem: 'an http(s) URL' };
}

/** A base URL as links are built on it: no trailing slash. */
export const withoutTrailingSlashes = (url: string): string => url.replace(/\/+$/, '');

let cached: Config | undefined;

/** The configuration of this process, parsed once per cold start. */
export function config(): Config {
  cached ??= parseConfig();
  return cached;
}

/** What the public pages show of the sender: name, logo, postal address (every one optional). */
export interface Branding {
  readonly senderName?: string;
  readonly logoUrl?: string;
  readonly postalAddress?: string;
}

/** A set, non-blank value, trimmed; `undefined` for unset or blank. */
const present = (value: string | undefined) => (value === undefined || value.trim() === '' ? undefined : value.trim());

/**
 * The branding of the public pages from the environment. The sender name defaults to the display name of the from
 * address (`Shop News <news@shop.example>` → `Shop News`).
 *
 * @throws {ConfigError} naming a bad variable (a logo that is not an https URL).
 */
export function parseBranding(env: NodeJS.ProcessEnv = process.env): Branding {
  const problems: string[] = [];
  const name = present(env[ENV.senderName]);
  if (name !== undefined && name.length > 100) problems.push(`${ENV.senderName}: at most 100 characters`);
  const logoUrl = present(env[ENV.logoUrl]);
  if (logoUrl !== undefined && !(isHttpUrl(logoUrl) && (/^https:/.test(logoUrl) || /^http:\/\/(localhost|127\.0\.0\.1)[:/]/.test(logoUrl)))) {
    problems.push(`${ENV.logoUrl}: https only (http on loopback)`);
  }
  const postalAddress = present(env[ENV.postalAddress]);
  if (postalAddress !== undefined && postalAddress.length > 500) problems.push(`${ENV.postalAddress}: at most 500 characters`);
  failOnProblems('Sendwell branding is invalid', problems);
  const display = /^\s*"?([^"<]+?)"?\s*<[^>]+>\s*$/.exec(env[ENV.fromAddress] ?? '')?.[1]?.trim();
  const senderName = name ?? display;
  return {
    ...(senderName ? { senderName } : {}),
    ...(logoUrl ? { logoUrl } : {}),
    ...(postalAddress ? { postalAddress } : {}),
  };
}

let cachedBranding: Branding | undefined;

/** The branding of this process, parsed once per cold start. */
export function branding(): Branding {
  cachedBranding ??= parseBranding();
  return cachedBranding;
}
