/**
 * Which DynamoDB calls a piece of work makes in this process (the container's shared client): each command's name and
 * the tables it touches, from an SDK middleware that is removed again after the work.
 */
import { randomUUID } from 'node:crypto';
import { dynamoClient } from '../../lambdas/adapters/clients.ts';

export interface DynamoCall {
  /** e.g. `GetItemCommand`, `TransactWriteItemsCommand` (the client's names: the document client's map to these). */
  readonly command: string;
  readonly tables: readonly string[];
}

export async function dynamoCallsOf(work: () => Promise<unknown>): Promise<DynamoCall[]> {
  const calls: DynamoCall[] = [];
  const name = `calls-${randomUUID()}`;
  const stack = dynamoClient().middlewareStack as unknown as { add(mw: unknown, options: { step: 'initialize'; name: string }): void; remove(name: string): boolean };
  stack.add(
    (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) => async (args: unknown) => {
      const input = JSON.stringify((args as { input?: unknown }).input ?? {});
      const tables = [...new Set([...input.matchAll(/"TableName":"([^"]+)"/g, ), ...input.matchAll(/"RequestItems":\{"([^"]+)"/g)].map((m) => m[1]!))];
      calls.push({ command: context.commandName ?? 'unknown', tables });
      return next(args);
    },
    { step: 'initialize', name },
  );
  try {
    await work();
  } finally {
    stack.remove(name);
  }
  return calls;
}

/** Commands that write. */
export const WRITES = new Set(['PutItemCommand', 'UpdateItemCommand', 'DeleteItemCommand', 'BatchWriteItemCommand', 'TransactWriteItemsCommand']);
