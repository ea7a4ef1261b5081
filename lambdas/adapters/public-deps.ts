/**
 * What the public routes a mail's recipient hits (pixel, click, unsubscribe) are built from: the message, recipient,
 * suppression and catalog stores, the keys, the pages' base URL and the clock, and nothing else (no schema library
 * and no AWS SDK client either: test/cdk/public-bundles.test.ts). Built on a given `Db`: the lean client's for the
 * public routes (public-container.ts), the SDK's or the lean client's for the full container (full-container.ts), which
 * adds the campaign, journey, delivery and queue adapters. No client is imported here, so neither build pulls in the
 * other's.
 */
import type { Deps, Settings } from '../services/deps.ts';
import type { TrackingDeps } from '../services/tracking.ts';
import type { UnsubscribeDeps } from '../services/unsubscribe.ts';
import { ENV } from '../wiring/env-keys.ts';
import { config, parsePublicBaseUrl } from './config.ts';
import { CatalogStore } from './dynamo/catalog-store.ts';
import { MessageStore } from './dynamo/message-store.ts';
import { RecipientStore } from './dynamo/recipient-store.ts';
import { SuppressionStore } from './dynamo/suppression-store.ts';
import type { Db } from './dynamo/db.ts';
import { runtimeKeys } from './keys.ts';
import { emitCounts } from './metrics.ts';

/** The stores and settings every function shares; the public routes use no more. */
export type PublicDeps = Pick<Deps, 'recipients' | 'catalog' | 'suppressions' | 'messages' | 'keys' | 'clock'> &
  TrackingDeps &
  UnsubscribeDeps & { readonly settings: Pick<Settings, 'publicBaseUrl'> };

/** The public routes' stores on `db`, the keys, the pages' base URL (read on first use) and the clock. */
export function publicDeps(db: Db): PublicDeps {
  const { tables } = config();
  let settings: PublicDeps['settings'] | undefined;
  return {
    recipients: new RecipientStore(db, tables),
    catalog: new CatalogStore(db, tables),
    suppressions: new SuppressionStore(db, tables),
    // Every counted figure also goes to CloudWatch as an EMF metric of the same name (adapters/metrics.ts).
    messages: new MessageStore(db, tables, { onCount: emitCounts }),
    keys: runtimeKeys,
    // Of the sending settings, the public routes need the pages' base URL only, read on first use like all of them (a
    // stage without it still builds every container; never spread this object: that would read it).
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
