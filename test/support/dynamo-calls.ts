/**
 * Which DynamoDB calls a piece of work makes in this process, on either shared client (the SDK's, and the public
 * routes' lean one): each command's name and the tables it touches, from an SDK middleware and a lean-client hook that
 * are removed again after the work.
 */
import { randomUUID } from 'node:crypto';
import { dynamoClient } from '../../lambdas/adapters/clients.ts';
import { onLeanDbRequest } from '../../lambdas/adapters/dynamo/lean-db.ts';

export interface DynamoCall {
  /** e.g. `GetItemCommand`, `TransactWriteItemsCommand` (the client's names: the document client's map to these). */
  readonly command: string;
  readonly tables: readonly string[];
}

export async function dynamoCallsOf(work: () => Promise<unknown>): Promise<DynamoCall[]> {
  const calls: DynamoCall[] = [];
  const name = `calls-${randomUUID()}`;
  const record = (command: string, input: unknown) => {
    const text = JSON.stringify(input ?? {});
    const tables = [...new Set([...text.matchAll(/"TableName":"([^"]+)"/g), ...text.matchAll(/"RequestItems":\{"([^"]+)"/g)].map((m) => m[1]!))];
    calls.push({ command, tables });
  };
  const stack = dynamoClient().middlewareStack as unknown as { add(mw: unknown, options: { step: 'initialize'; name: string }): void; remove(name: string): boolean };
  stack.add(
    (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) => async (args: unknown) => {
      record(context.commandName ?? 'unknown', (args as { input?: unknown }).input);
      return next(args);
    },
    { step: 'initialize', name },
  );
  const stopLean = onLeanDbRequest((operation, input) => record(`${operation}Command`, input));
  try {
    await work();
  } finally {
    stack.remove(name);
    stopLean();
  }
  return calls;
}

/** Commands that write. */
export const WRITES = new Set(['PutItemCommand', 'UpdateItemCommand', 'DeleteItemCommand', 'BatchWriteItemCommand', 'TransactWriteItemsCommand']);

/** A shared SDK client (DynamoDB's, the document client over it, SES's): what a fault can be hooked into. */
type HookedClient = { readonly middlewareStack: { add(middleware: any, options: { step: 'initialize'; name: string }): void; remove(name: string): unknown } };

/**
 * Runs `work`, calling `once` right before the first call on `client` that `matches` (its command name and input):
 * what `once` does happens before that call goes on, and what it throws is that call's failure (a fault, or a
 * concurrent request landing at that exact moment). The hook is gone afterwards. Returns whether it fired.
 */
export async function onceBefore(
  client: HookedClient,
  matches: (command: string, input: Record<string, any>) => boolean,
  once: () => unknown,
  work: () => Promise<unknown>,
): Promise<boolean> {
  let fired = false;
  const name = `once-${randomUUID()}`;
  client.middlewareStack.add(
    (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) => async (args: { input: Record<string, any> }) => {
      if (!fired && matches(context.commandName ?? '', args.input ?? {})) {
        fired = true;
        await once();
      }
      return next(args);
    },
    { step: 'initialize', name },
  );
  try {
    await work();
  } finally {
    client.middlewareStack.remove(name);
  }
  return fired;
}
