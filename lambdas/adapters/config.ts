/**
 * Configuration from the environment, parsed with zod so a bad deployment fails its cold start with a message that
 * names the variable, not with an `undefined` deep inside a request.
 */
import { z } from 'zod';
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
