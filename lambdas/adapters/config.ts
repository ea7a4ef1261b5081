/**
 * Configuration from the environment, parsed with zod so a bad deployment fails its cold start with a message that
 * names the variable, not with an `undefined` deep inside a request.
 */
import * as z from 'zod';
import { ENV } from '../wiring/env-keys.ts';
import { TABLES, type TableKey } from '../wiring/tables.ts';

const tableName = z.string().min(3).max(255);

const ConfigSchema = z.object({
  [ENV.stage]: z.string().default('local'),
  [ENV.tableRecipients]: tableName,
  [ENV.tableLedger]: tableName,
  [ENV.tableSuppressions]: tableName,
  [ENV.tableCampaigns]: tableName,
  [ENV.tableMessages]: tableName,
  [ENV.tableCounters]: tableName,
  [ENV.tableRelay]: tableName,
  [ENV.dynamodbEndpoint]: z.url({ protocol: /^https?$/ }).optional(),
  [ENV.sesEndpoint]: z.url({ protocol: /^https?$/ }).optional(),
  AWS_REGION: z.string().default('us-east-1'),
});

export interface Config {
  readonly stage: string;
  readonly region: string;
  readonly tables: Readonly<Record<TableKey, string>>;
  readonly dynamodbEndpoint?: string;
  readonly sesEndpoint?: string;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Parses `env` (default `process.env`); throws a {@link ConfigError} naming every missing or bad variable. */
export function parseConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = ConfigSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ConfigError(`Sendwell configuration is invalid: ${problems}`);
  }
  const e = parsed.data;
  const tables = Object.fromEntries(
    Object.entries(TABLES).map(([key, def]) => [key, e[def.envKey as keyof typeof e] as string]),
  ) as Record<TableKey, string>;
  return {
    stage: e[ENV.stage],
    region: e.AWS_REGION,
    tables,
    dynamodbEndpoint: e[ENV.dynamodbEndpoint],
    sesEndpoint: e[ENV.sesEndpoint],
  };
}

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

const blankIsAbsent = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (typeof v === 'string' && v.trim() === '' ? undefined : v), schema.optional());

const BrandingSchema = z.object({
  [ENV.senderName]: blankIsAbsent(z.string().trim().max(100)),
  [ENV.logoUrl]: blankIsAbsent(z.url({ protocol: /^https?$/ }).refine((u) => /^https:/.test(u) || /^http:\/\/(localhost|127\.0\.0\.1)[:/]/.test(u), 'https only (http on loopback)')),
  [ENV.postalAddress]: blankIsAbsent(z.string().trim().max(500)),
  [ENV.fromAddress]: blankIsAbsent(z.string()),
});

/**
 * The branding of the public pages from the environment. The sender name defaults to the display name of the from
 * address (`Shop News <news@shop.example>` → `Shop News`).
 *
 * @throws {ConfigError} naming a bad variable (a logo that is not an https URL).
 */
export function parseBranding(env: NodeJS.ProcessEnv = process.env): Branding {
  const parsed = BrandingSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(`Sendwell branding is invalid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  const e = parsed.data;
  const display = /^\s*"?([^"<]+?)"?\s*<[^>]+>\s*$/.exec(e[ENV.fromAddress] ?? '')?.[1]?.trim();
  const senderName = e[ENV.senderName] ?? display;
  return {
    ...(senderName ? { senderName } : {}),
    ...(e[ENV.logoUrl] ? { logoUrl: e[ENV.logoUrl] } : {}),
    ...(e[ENV.postalAddress] ? { postalAddress: e[ENV.postalAddress] } : {}),
  };
}

let cachedBranding: Branding | undefined;

/** The branding of this process, parsed once per cold start. */
export function branding(): Branding {
  cachedBranding ??= parseBranding();
  return cachedBranding;
}
