/**
 * The import worker: not behind a route, invoked by the import queue (`lib/import-jobs.ts` connects it). Kept apart
 * from `EVENT_FUNCTIONS` until the stack composes the import jobs construct; same `FunctionDef` shape.
 *
 * Permissions beyond `Permission`: `imports:enqueue` (SendMessage on the import queue; the admin function needs it
 * too, for `POST /v1/imports`) and `imports:read-upload` (GetObject on the upload bucket, for files uploaded with a
 * pre-signed URL). `lib/import-jobs.ts` grants both itself until `lib/permissions.ts` knows them.
 */
import type { FunctionDef, Permission } from './routes.ts';

export type ImportPermission = Permission | 'imports:enqueue' | 'imports:read-upload';

export interface ImportFunctionDef extends Omit<FunctionDef, 'permissions'> {
  readonly permissions: readonly ImportPermission[];
  /**
   * The item access it needs per table, in the verbs of main's `lambdas/wiring/table-access.ts` (`read`, `put`,
   * `update`, `delete`), for when the per-function table grants land here: the job and its chunks live in the
   * campaigns table; rows become recipients with their ledger entries.
   */
  readonly tables: Readonly<Record<string, readonly ('read' | 'put' | 'update' | 'delete')[]>>;
}

export const IMPORT_FUNCTIONS = {
  importWorker: {
    entry: 'lambdas/handlers/import-worker.ts',
    description: 'Import jobs: one chunk of an import file → rows imported in recorded steps, resumable at its offset; partial batch failures.',
    memorySize: 512,
    // A chunk of 250 rows takes a few seconds on AWS; the worker stops 15 s before its time and resumes on redelivery.
    timeoutSeconds: 120,
    permissions: ['data:write', 'keys:read', 'imports:read-upload'],
    tables: { recipients: ['read', 'put', 'update'], ledger: ['put'], campaigns: ['read', 'update'] },
  },
} as const satisfies Record<string, ImportFunctionDef>;
