/**
 * A DynamoDB client for the public functions, whose cold start a recipient waits for (pixel, click, unsubscribe, the
 * preference page, the confirm link; public-container.ts, page-container.ts): DynamoDB's JSON protocol
 * over `fetch`, signed with the SDK's own SigV4 signer (`@smithy/signature-v4`), values converted with the SDK's
 * `@aws-sdk/util-dynamodb`. About 20 KiB where the SDK's client is ~210 KiB and most of a cold start (issue 17; the
 * figures are in bench:cold). It does what those routes' stores need of the SDK and no more:
 * - the eight document commands of `db.ts`, marshalled as the shared document client marshals
 *   (`removeUndefinedValues`, no class instances);
 * - retries as the SDK's DynamoDB client does (its 2026 retry settings, @aws-sdk/client-dynamodb 3.11xx): throttling
 *   (and any HTTP 429), 5xx, a replicated write conflict and network errors, up to 4 tries (6 against DynamoDB
 *   Local), waiting a random share of an exponential step from 25 ms (1 s when throttled); a transaction carries a
 *   `ClientRequestToken` so a retried one is not applied twice (the SDK fills it in the same way);
 * - the legacy parameters the stores never send (`Expected`, `AttributeUpdates`, `KeyConditions`, `QueryFilter`,
 *   `ReturnItemCollectionMetrics`) are refused rather than sent unconverted;
 * - errors named by DynamoDB's error type (`ConditionalCheckFailedException`, `TransactionCanceledException` with its
 *   `CancellationReasons`), as the stores check them;
 * - credentials from the environment only: Lambda puts the function role's there (the local stack its own).
 */
import { randomUUID } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { NodeSha256 } from '../node-sha256.ts';
import type { Db, DbCommand, DbHook, Operation } from './db.ts';

type Json = Record<string, any>;

export interface LeanDbOptions {
  readonly region: string;
  /** DynamoDB Local's URL; DynamoDB's regional endpoint when absent. */
  readonly endpoint?: string;
  /** Tries of one call, the first included. @default 4 (the SDK's DynamoDB client's) */
  readonly maxAttempts?: number;
  /** @default the environment's `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN` */
  readonly credentials?: () => Credentials;
  /** Runs the hooks added with `onLeanDbRequest` before each command (read at each send, so later ones count). */
  readonly sharedHooks?: boolean;
  /** Tests: the waits between tries. */
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/**
 * A call DynamoDB refused, or that never got an answer: `name` is DynamoDB's error type, the HTTP status is where the
 * SDK keeps it (`$metadata.httpStatusCode`; a top-level `statusCode` would read as the request's own fault to the page
 * middleware, handlers/middleware/page.ts).
 */
export class DynamoDbError extends Error {
  readonly $fault: 'client' | 'server';
  readonly $metadata: { readonly httpStatusCode?: number };
  readonly CancellationReasons?: Array<{ Code?: string; Message?: string; Item?: Json }>;
  readonly Item?: Json;
  constructor(name: string, message: string, statusCode: number | undefined, body: Json = {}) {
    super(message);
    this.name = name;
    this.$metadata = statusCode === undefined ? {} : { httpStatusCode: statusCode };
    // No status: a networking error is the server side's; a request refused before it was sent, the caller's.
    this.$fault = statusCode === undefined ? (name === 'NetworkingError' ? 'server' : 'client') : statusCode < 500 ? 'client' : 'server';
    if (body.CancellationReasons) this.CancellationReasons = body.CancellationReasons;
    if (body.Item) this.Item = body.Item;
  }
}

/** The SDK's throttling codes that DynamoDB answers with (@smithy/service-error-classification); any 429 too. */
const THROTTLING = new Set(['ProvisionedThroughputExceededException', 'RequestLimitExceeded', 'ThrottlingException', 'TransactionInProgressException', 'LimitExceededException']);

/** Errors DynamoDB marks retryable besides those (the SDK's client retries them: `$retryable`). */
const RETRYABLE = new Set(['ReplicatedWriteConflictException']);

/** What the stores never send and this client does not convert: refused rather than sent in the wrong shape. */
const UNSUPPORTED = ['Expected', 'AttributeUpdates', 'KeyConditions', 'QueryFilter', 'ReturnItemCollectionMetrics'] as const;

const MARSHALL = { removeUndefinedValues: true, convertClassInstanceToMap: false } as const;

export const envCredentials = (): Credentials => {
  const { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey, AWS_SESSION_TOKEN: sessionToken } = process.env;
  if (!accessKeyId || !secretAccessKey) {
    throw new DynamoDbError('CredentialsMissing', 'Sendwell: no AWS credentials in the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY), where Lambda puts the function role\'s.', undefined);
  }
  return { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) };
};

/** Hooks of every LeanDb built with `sharedHooks: true` (the public functions'): the local guard, tests' call records. */
const sharedHooks: DbHook[] = [];

/** Adds `hook` to the shared lean clients; returns its removal. */
export function onLeanDbRequest(hook: DbHook): () => void {
  sharedHooks.push(hook);
  return () => {
    const at = sharedHooks.indexOf(hook);
    if (at >= 0) sharedHooks.splice(at, 1);
  };
}

export class LeanDb implements Db {
  readonly #url: URL;
  readonly #signer: SignatureV4;
  readonly #attempts: number;
  readonly #hooks: readonly DbHook[];
  readonly #sleep: (ms: number) => Promise<void>;

  constructor(options: LeanDbOptions) {
    this.#url = new URL(options.endpoint ?? `https://dynamodb.${options.region}.amazonaws.com${options.region.startsWith('cn-') ? '.cn' : ''}`);
    const credentials = options.credentials ?? envCredentials;
    this.#signer = new SignatureV4({ service: 'dynamodb', region: options.region, sha256: NodeSha256, credentials: async () => credentials() });
    this.#attempts = options.maxAttempts ?? 4;
    this.#hooks = options.sharedHooks ? sharedHooks : [];
    this.#sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  async send<I, O>(command: DbCommand<I, O>): Promise<Omit<O, '$metadata'>> {
    const input = command.input as Json;
    for (const hook of this.#hooks) hook(command.operation, input);
    const wire = toWire(command.operation, input);
    const body = JSON.stringify(wire, binaryAsBase64);
    for (let attempt = 1; ; attempt++) {
      try {
        return fromWire(await this.#post(command.operation, body)) as Omit<O, '$metadata'>;
      } catch (e) {
        const status = e instanceof DynamoDbError ? (e.$metadata.httpStatusCode ?? 0) : 0;
        const throttled = e instanceof DynamoDbError && (THROTTLING.has(e.name) || status === 429);
        const transient = e instanceof DynamoDbError && (e.name === 'NetworkingError' || RETRYABLE.has(e.name) || status >= 500);
        if (attempt >= this.#attempts || !(throttled || transient)) throw e;
        // As the SDK's DynamoDB client: a random share of 25 ms (1 s when throttled) × 2^try, at most 20 s.
        await this.#sleep(Math.random() * Math.min(20_000, (throttled ? 1_000 : 25) * 2 ** (attempt - 1)));
      }
    }
  }

  async #post(operation: Operation, body: string): Promise<Json> {
    const url = this.#url;
    const signed = await this.#signer.sign({
      method: 'POST',
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port ? { port: Number(url.port) } : {}),
      path: '/',
      query: {},
      headers: { host: url.host, 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `DynamoDB_20120810.${operation}` },
      body,
    });
    // fetch sets the host itself, from the same URL.
    const { host: _host, ...headers } = signed.headers;
    // A connection lost before the answer or in the middle of its body is a networking error (tried again).
    let response: Response;
    let text: string;
    try {
      response = await fetch(url, { method: 'POST', headers, body });
      text = await response.text();
    } catch (e) {
      throw new DynamoDbError('NetworkingError', `DynamoDB ${operation}: ${(e as Error).message}`, undefined);
    }
    let answer: Json = {};
    try {
      answer = text ? JSON.parse(text, base64AsBinary) : {};
    } catch {
      throw new DynamoDbError('InvalidResponse', `DynamoDB ${operation}: an answer that is not JSON (HTTP ${response.status})`, response.status);
    }
    if (response.ok) return answer;
    const type = String(answer.__type ?? `HTTP${response.status}`);
    throw new DynamoDbError(type.slice(type.lastIndexOf('#') + 1), String(answer.message ?? answer.Message ?? `DynamoDB ${operation}: HTTP ${response.status}`), response.status, answer);
  }
}

const toAttrs = (record: Json | undefined) => (record === undefined ? undefined : marshall(record, MARSHALL));
const fromAttrs = (record: Json | undefined) => (record === undefined ? undefined : unmarshall(record));

/** The fields of an input that hold plain values: the document client marshals exactly these. */
function withAttrs(part: Json): Json {
  const out: Json = { ...part };
  for (const field of ['Key', 'Item', 'ExpressionAttributeValues', 'ExclusiveStartKey'] as const) {
    if (part[field] !== undefined) out[field] = toAttrs(part[field]);
  }
  return out;
}

/** The document input → DynamoDB's wire input. */
export function toWire(operation: Operation, input: Json): Json {
  const legacy = UNSUPPORTED.filter((field) => input[field] !== undefined);
  if (legacy.length) throw new DynamoDbError('UnsupportedParameter', `Sendwell's lean DynamoDB client does not send ${legacy.join(', ')} (${operation}): use expressions.`, undefined);
  const out = withAttrs(input);
  if (operation === 'BatchGetItem' || operation === 'BatchWriteItem') {
    out.RequestItems = batchWith(input.RequestItems ?? {}, toAttrs);
  } else if (operation === 'TransactWriteItems') {
    out.TransactItems = (input.TransactItems as Json[]).map((item) => Object.fromEntries(Object.entries(item).map(([kind, part]) => [kind, withAttrs(part as Json)])));
    // Makes a retried transaction idempotent for 10 minutes, as the SDK does when the caller gave none.
    out.ClientRequestToken ??= randomUUID();
  }
  return out;
}

/**
 * A batch's requests by table with each key and item converted: a BatchGetItem's `{Keys}` per table (and its
 * `UnprocessedKeys`), a BatchWriteItem's list of put and delete requests (and its `UnprocessedItems`).
 */
function batchWith(byTable: Json, convert: (record: Json | undefined) => Json | undefined): Json {
  const request = (r: Json): Json => (r.PutRequest ? { PutRequest: { Item: convert(r.PutRequest.Item) } } : { DeleteRequest: { Key: convert(r.DeleteRequest.Key) } });
  return Object.fromEntries(Object.entries(byTable).map(([table, part]) => [table, Array.isArray(part) ? part.map(request) : { ...part, Keys: part.Keys.map(convert) }]));
}

/** DynamoDB's wire answer → the document answer. Errors' items stay as DynamoDB wrote them, as the SDK leaves them. */
export function fromWire(answer: Json): Json {
  const out: Json = { ...answer };
  if (answer.Item) out.Item = fromAttrs(answer.Item);
  if (answer.Attributes) out.Attributes = fromAttrs(answer.Attributes);
  if (answer.Items) out.Items = answer.Items.map(fromAttrs);
  if (answer.LastEvaluatedKey) out.LastEvaluatedKey = fromAttrs(answer.LastEvaluatedKey);
  if (answer.Responses) out.Responses = Object.fromEntries(Object.entries(answer.Responses).map(([table, items]) => [table, (items as Json[]).map(fromAttrs)]));
  if (answer.UnprocessedKeys) out.UnprocessedKeys = batchWith(answer.UnprocessedKeys, fromAttrs);
  if (answer.UnprocessedItems) out.UnprocessedItems = batchWith(answer.UnprocessedItems, fromAttrs);
  return out;
}

/** Binary attribute values travel as base64 (`B`, `BS`); a map's attribute named B or BS holds an object, never a string. */
function binaryAsBase64(this: Json, key: string, value: unknown): unknown {
  // The holder's own value: a Buffer has already become `{type, data}` through its toJSON.
  const raw = this[key];
  return raw instanceof Uint8Array ? Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('base64') : value;
}

function base64AsBinary(key: string, value: unknown): unknown {
  if (key === 'B' && typeof value === 'string') return new Uint8Array(Buffer.from(value, 'base64'));
  if (key === 'BS' && Array.isArray(value) && value.every((v) => typeof v === 'string')) return value.map((v: string) => new Uint8Array(Buffer.from(v, 'base64')));
  return value;
}
