/**
 * How a function is connected to the constructs it uses: every construct sets the environment variables it owns, and
 * each `Permission` of `lambdas/wiring/routes.ts` maps to the narrowest grant that serves it.
 *
 * `PERMISSION_GRANTS` is typed as a mapped type over the `Permission` union: adding a permission to the union without
 * a grant here is a compile error, not a function that fails with AccessDenied after deployment.
 */
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { FunctionDef, Permission } from '../lambdas/wiring/routes.ts';
import type { CampaignQueues } from './campaign-queues.ts';
import type { DataTables } from './data-tables.ts';
import type { EmailSending } from './email.ts';
import type { ImportJobs } from './import-jobs.ts';
import type { KeySecrets } from './keys.ts';
import type { PartnerWebhooks } from './partner-webhooks.ts';

/** The constructs a function can use; each owns the grants it gives and the environment variables it sets. */
export interface FunctionResources {
  readonly data: DataTables;
  readonly email: EmailSending;
  readonly keys: KeySecrets;
  readonly partners: PartnerWebhooks;
  readonly campaigns: CampaignQueues;
  readonly imports: ImportJobs;
}

export type PermissionGrant = (fn: lambda.Function, resources: FunctionResources) => void;

/** The one place a `Permission` becomes IAM. Exhaustive by type. */
export const PERMISSION_GRANTS: { readonly [P in Permission]: PermissionGrant } = {
  'tables:describe': (fn, { data }) => {
    data.grantDescribe(fn);
  },
  'ses:account': (fn, { email }) => {
    email.grantAccountRead(fn);
  },
  'ses:send': (fn, { email }) => {
    email.grantSend(fn);
  },
  // The secret ARNs go only to functions that may read them: an ARN without the grant would be a variable that can
  // only fail with AccessDenied.
  'keys:read': (fn, { keys }) => {
    keys.bindEnvironment(fn);
    keys.grantRead(fn);
  },
  'partners:read': (fn, { partners }) => {
    partners.bindEnvironment(fn);
    partners.grantRead(fn);
  },
  // Like the secret ARNs: the queue URLs only where SendMessage is granted.
  'campaigns:enqueue': (fn, { campaigns }) => {
    campaigns.bindQueueEnvironment(fn);
    campaigns.grantEnqueue(fn);
  },
  'imports:enqueue': (fn, { imports }) => {
    imports.allowEnqueue(fn);
  },
  'imports:upload': (fn, { imports }) => {
    imports.allowUpload(fn);
  },
  'imports:read-uploads': (fn, { imports }) => {
    imports.allowReadUploads(fn);
  },
};

/**
 * Gives a function the environment every handler parses at cold start (all table names, the SES configuration set,
 * mail settings, the default campaign send rate) and exactly the grants its definition lists (with `keys:read` and
 * `partners:read`, also the secret ARNs; with `campaigns:enqueue`, the queue URLs), and the item access its `tables`
 * declare.
 */
export function connectFunction(fn: lambda.Function, def: FunctionDef, resources: FunctionResources): void {
  resources.data.bindEnvironment(fn);
  resources.email.bindEnvironment(fn);
  resources.campaigns.bindEnvironment(fn);
  for (const permission of new Set(def.permissions)) PERMISSION_GRANTS[permission](fn, resources);
  resources.data.grantItems(fn, def.tables ?? {});
}
