/**
 * The pixel, click and unsubscribe functions' dependencies (public-deps.ts) on the lean DynamoDB client
 * (dynamo/lean-db.ts), built once per cold start; a recipient waits for these cold starts. The preference page and
 * the confirm link use the same client (page-container.ts).
 */
import { config, LOCAL_DYNAMODB_ATTEMPTS } from './config.ts';
import { LeanDb } from './dynamo/lean-db.ts';
import { publicDeps, type PublicDeps } from './public-deps.ts';

export type { PublicDeps };

let db: LeanDb | undefined;
let deps: PublicDeps | undefined;

/** The public functions' lean DynamoDB client, built once per cold start (the local guard and tests hook it). */
export function leanDb(): LeanDb {
  if (db) return db;
  const { region, dynamodbEndpoint } = config();
  db = new LeanDb({ region, sharedHooks: true, ...(dynamodbEndpoint ? { endpoint: dynamodbEndpoint, maxAttempts: LOCAL_DYNAMODB_ATTEMPTS } : {}) });
  return db;
}

export function publicContainer(): PublicDeps {
  deps ??= publicDeps(leanDb());
  return deps;
}
