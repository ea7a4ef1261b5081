/**
 * What the public routes a mail's recipient hits (pixel, click, unsubscribe) are built from: the message, recipient,
 * suppression and catalog stores, the keys, the pages' base URL and the clock, and nothing else (no schema library
 * and no AWS SDK client either: test/cdk/public-bundles.test.ts). A recipient waits for a cold start of these
 * functions, so none of them loads the campaign, journey, delivery or queue adapters the full container
 * (`container.ts`) adds, and their stores send through the lean client (dynamo/lean-db.ts), not the SDK's. The full
 * container builds the same stores (`publicStores`) on the SDK's client.
 */
import type { Deps, Settings } from '../services/deps.ts';
import type { TrackingDeps } from '../services/tracking.ts';
import type { UnsubscribeDeps } from '../services/unsubscribe.ts';
import { ENV } from '../wiring/env-keys.ts';
import { config, LOCAL_DYNAMODB_ATTEMPTS, parsePublicBaseUrl } from './config.ts';
import { CatalogStore } from './dynamo/catalog-store.ts';
import { MessageStore } from './dynamo/message-store.ts';
import { RecipientStore } from './dynamo/recipient-store.ts';
import { SuppressionStore } from './dynamo/suppression-store.ts';
import type { Db } from './dynamo/db.ts';
import { LeanDb } from './dynamo/lean-db.ts';
import { runtimeKeys } from './keys.ts';
import { emitCounts } from './metrics.ts';

/** The stores and settings every function shares; the public routes use no more. */
export type PublicDeps = Pick<Deps, 'recipients' | 'catalog' | 'suppressions' | 'messages' | 'keys' | 'clock'> &
  TrackingDeps &
  UnsubscribeDeps & { readonly settings: Pick<Settings, 'publicBaseUrl'> };

let deps: PublicDeps | undefined;

let db: LeanDb | undefined;

/** The public functions' lean DynamoDB client, built once per cold start (the local guard and tests hook it). */
export function leanDb(): LeanDb {
  if (db) return db;
  const { region, dynamodbEndpoint } = config();
  db = new LeanDb({ region, sharedHooks: true, ...(dynamodbEndpoint ? { endpoint: dynamodbEndpoint, maxAttempts: LOCAL_DYNAMODB_ATTEMPTS } : {}) });
  return db;
}

export function publicContainer(): PublicDeps {
  deps ??= { ...publicStores(leanDb()), ...publicRest() };
  return deps;
}

/** The stores the public routes use, on `db`. */
export function publicStores(db: Db): Pick<PublicDeps, 'recipients' | 'catalog' | 'suppressions' | 'messages'> {
  const { tables } = config();
  return {
    recipients: new RecipientStore(db, tables),
    catalog: new CatalogStore(db, tables),
    suppressions: new SuppressionStore(db, tables),
    // Every counted figure also goes to CloudWatch as an EMF metric of the same name (adapters/metrics.ts).
    messages: new MessageStore(db, tables, { onCount: emitCounts }),
  };
}

/** The keys, the pages' base URL and the clock: what the public routes use besides the stores. */
export function publicRest(): Pick<PublicDeps, 'keys' | 'settings' | 'clock'> {
  let settings: PublicDeps['settings'] | undefined;
  return {
    keys: runtimeKeys,
    // Of the sending settings, the public routes need the pages' base URL only (read on first use, like all of them).
    get settings() {
      settings ??= { publicBaseUrl: parsePublicBaseUrl() };
      return settings;
    },
    clock: () => new Date(Date.now() + clockOffsetMs()),
  };
}

/**
 * Tests only (`SENDWELL_CLOCK_OFFSET_MS`, read on every call so a test can move time on): 0 everywhere else. Only
 * whole numbers are taken; anything else is 0.
 */
function clockOffsetMs(): number {
  const raw = process.env[ENV.clockOffsetMs];
  if (!raw) return 0;
  const n = Number(raw);
  return Number.isSafeInteger(n) ? n : 0;
}
