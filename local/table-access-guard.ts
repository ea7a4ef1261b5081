/**
 * IAM's item-level check, modelled on the local stack and in the tests: every DynamoDB call a handler makes is checked
 * against the `tables` its function declares (`lambdas/wiring/table-access.ts`), the same declaration `lib/` turns
 * into the function's IAM policy. A call the declaration does not allow fails here as AccessDenied would on AWS, so a
 * missing grant shows up in `npm start` and in the integration tests, not after a deploy.
 *
 * Which function is running comes from {@link asFunction}: the local gateway, the campaign engine and the event
 * emulators wrap each handler they invoke. Calls made outside a handler (test setup, the local stack's own queue
 * table) are not checked.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { appendFileSync } from 'node:fs';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EVENT_FUNCTIONS } from '../lambdas/wiring/event-functions.ts';
import { FUNCTIONS, type FunctionDef } from '../lambdas/wiring/routes.ts';
import type { TableVerb } from '../lambdas/wiring/table-access.ts';
import type { TableKey } from '../lambdas/wiring/tables.ts';

const running = new AsyncLocalStorage<string>();
const DEFS: Readonly<Record<string, FunctionDef>> = { ...FUNCTIONS, ...EVENT_FUNCTIONS };

/** Runs `handler` as function `key` (a key of `FUNCTIONS` or `EVENT_FUNCTIONS`): its table calls are checked against that function's grants. */
export function asFunction<A extends unknown[], R>(key: string, handler: (...args: A) => R): (...args: A) => R {
  if (!Object.hasOwn(DEFS, key)) throw new Error(`Sendwell: no function "${key}" in FUNCTIONS or EVENT_FUNCTIONS.`);
  return (...args: A) => running.run(key, () => handler(...args));
}

/** One item-level access a call needs: which table, which verb. */
export interface TableUse {
  readonly table: string;
  readonly verb: TableVerb | 'scan';
}

type Input = Record<string, any>;

/** The item accesses a DynamoDB command needs, as IAM authorizes them (a transaction item by item). */
export function usesOf(command: string, input: Input): TableUse[] {
  const name = command.replace(/Command$/, '');
  const one = (verb: TableUse['verb']): TableUse[] => (input.TableName ? [{ table: String(input.TableName), verb }] : []);
  switch (name) {
    case 'GetItem':
    case 'Get':
    case 'Query':
      return one('read');
    case 'Scan':
      return one('scan');
    case 'PutItem':
    case 'Put':
      return one('put');
    case 'UpdateItem':
    case 'Update':
      return one('update');
    case 'DeleteItem':
    case 'Delete':
      return one('delete');
    case 'BatchGetItem':
    case 'BatchGet':
    case 'TransactGetItems':
    case 'TransactGet':
      return name.startsWith('Batch')
        ? Object.keys(input.RequestItems ?? {}).map((table) => ({ table, verb: 'read' as const }))
        : (input.TransactItems ?? []).map((t: Input) => ({ table: String(t.Get?.TableName), verb: 'read' as const }));
    case 'BatchWriteItem':
    case 'BatchWrite':
      // IAM authorizes BatchWriteItem as one action, whatever the requests: the `delete` verb holds it.
      return Object.keys(input.RequestItems ?? {}).map((table) => ({ table, verb: 'delete' as const }));
    case 'TransactWriteItems':
    case 'TransactWrite':
      return (input.TransactItems ?? []).map((t: Input): TableUse => {
        if (t.Put) return { table: String(t.Put.TableName), verb: 'put' };
        if (t.Update) return { table: String(t.Update.TableName), verb: 'update' };
        if (t.Delete) return { table: String(t.Delete.TableName), verb: 'delete' };
        return { table: String(t.ConditionCheck?.TableName), verb: 'read' };
      });
    default:
      // Table-level calls (DescribeTable for health) are granted by permissions of their own, not by `tables`.
      return [];
  }
}

export class TableAccessDenied extends Error {
  override readonly name = 'AccessDeniedException';
}

export interface GuardOptions {
  /** Table names by table key, as the handlers see them (`config().tables`), read at the first checked call. */
  readonly tableNames: () => Readonly<Record<TableKey, string>>;
  /** `enforce` throws on an undeclared access; `record` only appends it to `recordFile`. @default 'enforce' */
  readonly mode?: 'enforce' | 'record';
  /** JSON lines `{fn, table, verb}` of every checked access (record mode: every access; enforce: the denied ones). */
  readonly recordFile?: string;
}

/** The check itself: throws (enforce) or records an access of `command` the running function's grants do not allow. */
export function tableAccessCheck(options: GuardOptions): (command: string, input: Input) => void {
  let names: Map<string, TableKey> | undefined;
  const keyOfName = () => (names ??= new Map(Object.entries(options.tableNames()).map(([key, name]) => [name, key as TableKey])));
  const mode = options.mode ?? 'enforce';
  return (command, input) => {
    const fn = running.getStore();
    if (fn === undefined) return;
    for (const use of usesOf(command, input)) {
      const table = keyOfName().get(use.table);
      if (!table) continue;
      const granted = DEFS[fn]!.tables?.[table] ?? [];
      const allowed = use.verb !== 'scan' && granted.includes(use.verb);
      if (options.recordFile && (mode === 'record' || !allowed)) {
        appendFileSync(options.recordFile, `${JSON.stringify({ fn, table, verb: use.verb, command })}\n`);
      }
      if (!allowed && mode === 'enforce') {
        throw new TableAccessDenied(
          `Sendwell: function "${fn}" may not ${use.verb} items of table "${table}" (${command}): add it to its \`tables\` in lambdas/wiring (IAM on AWS would deny it too).`,
        );
      }
    }
  };
}

/** Adds `check` to `client` (the handlers' shared SDK client) once. */
export function installTableAccessGuard(client: DynamoDBClient, check: ReturnType<typeof tableAccessCheck>): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      check(context.commandName ?? '', args.input as Input);
      return next(args);
    },
    { step: 'initialize', name: 'sendwellTableAccessGuard', override: true },
  );
}

/**
 * Installs the guard on the handlers' shared DynamoDB clients (the SDK's and the public routes' lean one), after the
 * handler environment is set: `SENDWELL_TABLE_ACCESS` is `enforce` (default), `record` (log every access, deny nothing) or `off`;
 * `SENDWELL_TABLE_ACCESS_RECORD` names a file to append accesses (record mode) or denials (enforce) to.
 */
export async function guardHandlerTables(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const mode = env.SENDWELL_TABLE_ACCESS ?? 'enforce';
  if (mode === 'off') return;
  if (mode !== 'enforce' && mode !== 'record') throw new Error(`Sendwell: SENDWELL_TABLE_ACCESS must be enforce, record or off, not "${mode}".`);
  const { onDynamoClient } = await import('../lambdas/adapters/clients.ts');
  const { onLeanDbRequest } = await import('../lambdas/adapters/dynamo/lean-db.ts');
  const { config } = await import('../lambdas/adapters/config.ts');
  // One check for both clients: the SDK's, and the public routes' lean one (lambdas/adapters/dynamo/lean-db.ts).
  const check = tableAccessCheck({ tableNames: () => config().tables, mode, ...(env.SENDWELL_TABLE_ACCESS_RECORD ? { recordFile: env.SENDWELL_TABLE_ACCESS_RECORD } : {}) });
  // When the handlers build their client, not now: a test file may still set its own tables' environment first.
  onDynamoClient((client) => installTableAccessGuard(client, check));
  onLeanDbRequest((operation, input) => check(`${operation}Command`, input));
}
