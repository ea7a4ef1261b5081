/**
 * What the stores send to DynamoDB, without the SDK: the eight document commands they use, as plain objects (an
 * operation name and the document client's input), and the `Db` that sends them. Two send them: the AWS SDK's
 * document client (`sdkDb`, clients.ts: every function but the lean public routes) and a small signed-fetch client
 * (`lean-db.ts`: pixel, click, unsubscribe, whose cold start a recipient waits for). Only types come from the SDK
 * here, so a store pulls in neither.
 */
import type {
  BatchGetCommandInput,
  BatchGetCommandOutput,
  BatchWriteCommandInput,
  BatchWriteCommandOutput,
  DeleteCommandInput,
  DeleteCommandOutput,
  GetCommandInput,
  GetCommandOutput,
  PutCommandInput,
  PutCommandOutput,
  QueryCommandInput,
  QueryCommandOutput,
  TransactWriteCommandInput,
  TransactWriteCommandOutput,
  UpdateCommandInput,
  UpdateCommandOutput,
} from '@aws-sdk/lib-dynamodb';

/** DynamoDB's name of each operation (the `X-Amz-Target` suffix, the SDK command's name without `Command`). */
export type Operation = 'GetItem' | 'PutItem' | 'UpdateItem' | 'DeleteItem' | 'Query' | 'BatchGetItem' | 'BatchWriteItem' | 'TransactWriteItems';

/** The answer without the SDK's response metadata, which no store reads (the lean client has none to give). */
type Answer<O> = Omit<O, '$metadata'>;

/** A command: its operation and its input, in the document client's shape (plain values, not attribute values). */
export abstract class DbCommand<I, O> {
  abstract readonly operation: Operation;
  /** Carries the answer's type for `Db.send`; never set. */
  declare readonly answer?: Answer<O>;
  readonly input: I;
  constructor(input: I) {
    this.input = input;
  }
}

/** The command class of `operation`: `new GetCommand(input)`, as with the SDK's document commands. */
const commandOf = <I, O>(operation: Operation) =>
  class extends DbCommand<I, O> {
    readonly operation = operation;
  };

export const GetCommand = commandOf<GetCommandInput, GetCommandOutput>('GetItem');
export const PutCommand = commandOf<PutCommandInput, PutCommandOutput>('PutItem');
export const UpdateCommand = commandOf<UpdateCommandInput, UpdateCommandOutput>('UpdateItem');
export const DeleteCommand = commandOf<DeleteCommandInput, DeleteCommandOutput>('DeleteItem');
export const QueryCommand = commandOf<QueryCommandInput, QueryCommandOutput>('Query');
export const BatchGetCommand = commandOf<BatchGetCommandInput, BatchGetCommandOutput>('BatchGetItem');
export const BatchWriteCommand = commandOf<BatchWriteCommandInput, BatchWriteCommandOutput>('BatchWriteItem');
export const TransactWriteCommand = commandOf<TransactWriteCommandInput, TransactWriteCommandOutput>('TransactWriteItems');

export type { QueryCommandInput };

/** Sends a command; fails as DynamoDB does (the error's `name` is DynamoDB's error type). */
export interface Db {
  send<I, O>(command: DbCommand<I, O>): Promise<Answer<O>>;
}

/** Sees each command before it is sent and may refuse it by throwing: the local table-access guard, tests' call records. */
export type DbHook = (operation: Operation, input: Readonly<Record<string, unknown>>) => void;
