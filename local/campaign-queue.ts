/**
 * An in-process stand-in for SQS standard queues, for the local stack and the tests, kept in DynamoDB Local so it
 * survives a restart of `npm start` like the rest of the data. It keeps the contract the campaign handlers rely on:
 *
 * - **visibility**: a received message is hidden for `visibilitySeconds`; if it is not deleted by then (the consumer
 *   died, or reported it as a batch item failure) it is delivered again, with its receive count up by one. While a
 *   handler runs, its consumer extends the visibility of its messages (`changeVisibility`, SQS's
 *   ChangeMessageVisibility), so the timeout can be short and a failed batch comes back soon;
 * - **at least once**: `duplicateRate` (tests) puts some messages on the queue twice, as SQS may deliver twice;
 * - **dead letters**: a message received more than `maxReceiveCount` times moves to the dead-letter queue;
 * - **delay**: `delaySeconds` hides a new message for that long;
 * - **partial batch failure**: the consumer deletes exactly the records its handler did not report as failed.
 *
 * Layout (one table for every local queue): `pk` the queue name, `sk` `<visible-at ms, 15 digits>#<message id>`, so
 * what is visible now is one Query. Receiving moves the item to a later `sk` in a transaction that fails if another
 * consumer moved it first: a message is never in flight twice at once (SQS gives the same guarantee per receive).
 */
import { randomUUID } from 'node:crypto';
import { CreateTableCommand, DescribeTableCommand, ResourceInUseException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, PutCommand, QueryCommand, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { cancellationReasons } from '../lambdas/adapters/dynamo/tables.ts';

export interface QueueMessage {
  readonly messageId: string;
  readonly receiptHandle: string;
  readonly body: string;
  readonly receiveCount: number;
  readonly sentAt: number;
  readonly attributes: Readonly<Record<string, string>>;
}

export interface LocalQueueOptions {
  readonly db: DynamoDBDocumentClient;
  readonly table: string;
  readonly name: string;
  /** @default 30 */
  readonly visibilitySeconds?: number;
  /** Receives before a message goes to `${name}-dlq`. @default 5 */
  readonly maxReceiveCount?: number;
  /** Share of sent messages put on the queue twice (tests of at-least-once delivery). @default 0 */
  readonly duplicateRate?: number;
}

const pad = (ms: number) => String(ms).padStart(15, '0');

export class LocalQueue {
  readonly name: string;
  readonly deadLetterName: string;
  readonly #db: DynamoDBDocumentClient;
  readonly #table: string;
  readonly #visibilityMs: number;
  readonly #maxReceiveCount: number;
  readonly #duplicateRate: number;
  readonly #listeners = new Set<() => void>();
  /** Messages put on the queue a second time by `duplicateRate` (for the fault tests' figures). */
  duplicated = 0;

  /** How long a received message stays hidden, and how long `changeVisibility` hides it again. */
  get visibilitySeconds(): number {
    return this.#visibilityMs / 1000;
  }

  constructor(o: LocalQueueOptions) {
    this.name = o.name;
    this.deadLetterName = `${o.name}-dlq`;
    this.#db = o.db;
    this.#table = o.table;
    this.#visibilityMs = (o.visibilitySeconds ?? 30) * 1000;
    this.#maxReceiveCount = o.maxReceiveCount ?? 5;
    this.#duplicateRate = o.duplicateRate ?? 0;
  }

  /** Puts messages on the queue, visible after `delaySeconds`. */
  async send(bodies: readonly string[], delaySeconds = 0, attributes: Readonly<Record<string, string>> = {}): Promise<void> {
    const visibleAt = Date.now() + delaySeconds * 1000;
    for (const body of bodies) {
      const copies = Math.random() < this.#duplicateRate ? 2 : 1;
      if (copies > 1) this.duplicated++;
      for (let i = 0; i < copies; i++) await this.#put(this.name, visibleAt, body, 0, attributes);
    }
    for (const wake of this.#listeners) wake();
  }

  /**
   * Receives up to `max` visible messages, hiding each for the visibility timeout. A message past its receive limit
   * goes to the dead-letter queue instead.
   */
  async receive(max: number): Promise<QueueMessage[]> {
    const now = Date.now();
    const out = await this.#db.send(
      new QueryCommand({
        TableName: this.#table,
        KeyConditionExpression: 'pk = :q AND sk < :now',
        ExpressionAttributeValues: { ':q': this.name, ':now': `${pad(now)}#~` },
        Limit: max * 2,
        ConsistentRead: true,
      }),
    );
    const received: QueueMessage[] = [];
    for (const item of out.Items ?? []) {
      if (received.length >= max) break;
      const receiveCount = Number(item.receiveCount) + 1;
      const moveTo =
        receiveCount > this.#maxReceiveCount
          ? { pk: this.deadLetterName, sk: `${pad(now)}#${String(item.id)}` }
          : { pk: this.name, sk: `${pad(now + this.#visibilityMs)}#${String(item.id)}` };
      try {
        await this.#db.send(
          new TransactWriteCommand({
            TransactItems: [
              { Delete: { TableName: this.#table, Key: { pk: item.pk, sk: item.sk }, ConditionExpression: 'attribute_exists(pk)' } },
              { Put: { TableName: this.#table, Item: { ...item, ...moveTo, receiveCount } } },
            ],
          }),
        );
      } catch (e) {
        // Another consumer took it first: fine. Anything else (DynamoDB Local timing out on a lock) ends this receive;
        // the message stays visible for the next one.
        if (cancellationReasons(e)?.includes('ConditionalCheckFailed')) continue;
        throw e;
      }
      if (moveTo.pk === this.deadLetterName) continue;
      received.push({
        messageId: String(item.id),
        receiptHandle: moveTo.sk,
        body: String(item.body),
        receiveCount,
        sentAt: Number(item.sentAt),
        attributes: (item.attributes as Record<string, string> | undefined) ?? {},
      });
    }
    return received;
  }

  /** Deletes a received message; a no-op when its visibility ran out and someone else received it since. */
  async delete(receiptHandle: string): Promise<void> {
    await this.#db.send(new DeleteCommand({ TableName: this.#table, Key: { pk: this.name, sk: receiptHandle } }));
  }

  /**
   * Hides a received message for the visibility timeout again, counted from now (SQS ChangeMessageVisibility, as a
   * consumer's heartbeat). Returns its new receipt handle, or `undefined` when `message` no longer holds it: deleted,
   * or its visibility ran out and another consumer received it.
   */
  async changeVisibility(message: QueueMessage): Promise<string | undefined> {
    const sk = `${pad(Date.now() + this.#visibilityMs)}#${message.messageId}`;
    try {
      await this.#db.send(
        new TransactWriteCommand({
          TransactItems: [
            { Delete: { TableName: this.#table, Key: { pk: this.name, sk: message.receiptHandle }, ConditionExpression: 'attribute_exists(pk)' } },
            {
              Put: {
                TableName: this.#table,
                Item: {
                  pk: this.name,
                  sk,
                  id: message.messageId,
                  body: message.body,
                  receiveCount: message.receiveCount,
                  sentAt: message.sentAt,
                  ...(Object.keys(message.attributes).length ? { attributes: message.attributes } : {}),
                },
              },
            },
          ],
        }),
      );
      return sk;
    } catch (e) {
      if (cancellationReasons(e)?.includes('ConditionalCheckFailed')) return undefined;
      throw e;
    }
  }

  /** Puts a message straight on the dead-letter queue, with attributes (the reason). */
  async deadLetter(body: string, attributes: Readonly<Record<string, string>>): Promise<void> {
    await this.#put(this.deadLetterName, Date.now(), body, 0, attributes);
  }

  /** How many messages wait (visible or delayed), are in flight, and are dead-lettered. */
  async depth(): Promise<{ waiting: number; inFlight: number; deadLettered: number }> {
    const now = pad(Date.now());
    const items = await this.#all(this.name);
    const inFlight = items.filter((i) => String(i.sk) > now && Number(i.receiveCount) > 0).length;
    return { waiting: items.length - inFlight, inFlight, deadLettered: (await this.#all(this.deadLetterName)).length };
  }

  /** The dead-lettered messages (body and attributes), oldest first. */
  async deadLetters(): Promise<Array<{ body: string; attributes: Record<string, string> }>> {
    return (await this.#all(this.deadLetterName)).map((i) => ({ body: String(i.body), attributes: (i.attributes as Record<string, string> | undefined) ?? {} }));
  }

  /** Empties the dead-letter queue (ops redrove or discarded what was there). */
  async clearDeadLetters(): Promise<void> {
    for (const item of await this.#all(this.deadLetterName)) {
      await this.#db.send(new DeleteCommand({ TableName: this.#table, Key: { pk: item.pk, sk: item.sk } }));
    }
  }

  /** Calls `wake` whenever a message is sent (consumers poll, but need not wait for the next poll). */
  onSend(wake: () => void): () => void {
    this.#listeners.add(wake);
    return () => this.#listeners.delete(wake);
  }

  async #put(pk: string, visibleAt: number, body: string, receiveCount: number, attributes: Readonly<Record<string, string>>): Promise<void> {
    const id = randomUUID();
    await this.#db.send(
      new PutCommand({
        TableName: this.#table,
        Item: { pk, sk: `${pad(visibleAt)}#${id}`, id, body, receiveCount, sentAt: Date.now(), ...(Object.keys(attributes).length ? { attributes } : {}) },
      }),
    );
  }

  async #all(pk: string): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let cursor: Record<string, unknown> | undefined;
    do {
      const out = await this.#db.send(
        new QueryCommand({ TableName: this.#table, KeyConditionExpression: 'pk = :q', ExpressionAttributeValues: { ':q': pk }, ConsistentRead: true, ExclusiveStartKey: cursor }),
      );
      items.push(...(out.Items ?? []));
      cursor = out.LastEvaluatedKey;
    } while (cursor);
    return items;
  }
}

/** Creates the local queues' table unless it exists. */
export async function ensureQueueTable(client: DynamoDBClient, table: string): Promise<void> {
  try {
    await client.send(new DescribeTableCommand({ TableName: table }));
    return;
  } catch (e) {
    if ((e as Error).name !== 'ResourceNotFoundException') throw e;
  }
  try {
    await client.send(
      new CreateTableCommand({
        TableName: table,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
      }),
    );
  } catch (e) {
    if (!(e instanceof ResourceInUseException)) throw e;
  }
}

export type QueueHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | void>;

export interface ConsumerOptions {
  /** Records per handler call (the event source's batch size). */
  readonly batchSize: number;
  /** Handler calls at once (the event source's maximum concurrency). */
  readonly concurrency: number;
  /** The function's timeout, for `context.getRemainingTimeInMillis()`. */
  readonly timeoutSeconds: number;
  /** @default 200 */
  readonly pollMs?: number;
  readonly onError?: (e: unknown) => void;
}

/**
 * Polls a queue and calls a Lambda handler with SQS events, like an SQS event source mapping with
 * `ReportBatchItemFailures`: records the handler reports as failed (or all of them, if it throws) stay on the queue
 * and come again after the visibility timeout.
 */
export function startConsumer(queue: LocalQueue, handler: QueueHandler, o: ConsumerOptions): { stop: () => Promise<void>; abandon: () => void; busy: () => number } {
  let stopped = false;
  let abandoned = false;
  let inHandler = 0;
  let wake: (() => void) | undefined;
  const unsubscribe = queue.onSend(() => wake?.());
  const nap = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        wake = undefined;
        resolve();
      }
      wake = done;
    });

  const worker = async () => {
    let failures = 0;
    while (!stopped) {
      let messages: QueueMessage[] = [];
      try {
        messages = await queue.receive(o.batchSize);
        failures = 0;
      } catch (e) {
        // DynamoDB Local unreachable (stopped, restarting) or timing out: report it and poll again after a pause that
        // grows while it lasts (up to 5 s), instead of a stream of errors; the worker never gives up.
        o.onError?.(e);
        failures++;
        await nap(Math.min(5000, (o.pollMs ?? 200) * 2 ** Math.min(failures - 1, 5)));
        continue;
      }
      if (messages.length === 0) {
        await nap(o.pollMs ?? 200);
        continue;
      }
      inHandler++;
      const heartbeat = startHeartbeat(queue, messages, () => abandoned, o.onError);
      try {
        const deadline = Date.now() + o.timeoutSeconds * 1000;
        const context = { getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()) } as Context;
        let failed: Set<string>;
        try {
          const response = await handler({ Records: messages.map((m) => toRecord(queue.name, m)) }, context);
          failed = new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
        } catch (e) {
          o.onError?.(e);
          failed = new Set(messages.map((m) => m.messageId));
        }
        const held = await heartbeat.stop();
        // Abandoned (a simulated crash): nothing is deleted, the queue delivers it all again after the visibility timeout.
        if (!abandoned) {
          for (const m of messages) {
            const handle = held.get(m.messageId);
            if (handle !== undefined && !failed.has(m.messageId)) await queue.delete(handle).catch(o.onError);
          }
        }
      } finally {
        inHandler--;
      }
    }
  };
  const workers = Array.from({ length: o.concurrency }, () => worker());
  return {
    busy: () => inHandler,
    abandon: () => {
      stopped = true;
      abandoned = true;
      wake?.();
      unsubscribe();
    },
    stop: async () => {
      stopped = true;
      wake?.();
      unsubscribe();
      await Promise.all(workers);
    },
  };
}

/**
 * While a handler runs, hides its messages again every third of the visibility timeout (a process that dies stops
 * doing so, and its messages come back one timeout later). `stop` waits for a renewal under way and returns each
 * message's current receipt handle; a message whose visibility ran out before a renewal is left out (another
 * consumer may hold it now, as with SQS).
 */
function startHeartbeat(queue: LocalQueue, messages: readonly QueueMessage[], abandoned: () => boolean, onError?: (e: unknown) => void) {
  const held = new Map(messages.map((m) => [m.messageId, m]));
  let renewing: Promise<void> = Promise.resolve();
  const renew = async () => {
    for (const [id, m] of held) {
      if (abandoned()) return;
      try {
        const handle = await queue.changeVisibility(m);
        if (handle === undefined) held.delete(id);
        else held.set(id, { ...m, receiptHandle: handle });
      } catch (e) {
        // The old handle still holds it until its timeout; the next beat tries again.
        onError?.(e);
      }
    }
  };
  const timer = setInterval(() => {
    if (abandoned()) return;
    renewing = renewing.then(renew);
  }, Math.max(250, (queue.visibilitySeconds * 1000) / 3));
  return {
    stop: async (): Promise<Map<string, string>> => {
      clearInterval(timer);
      await renewing;
      return new Map([...held].map(([id, m]) => [id, m.receiptHandle]));
    },
  };
}

function toRecord(queueName: string, m: QueueMessage): SQSRecord {
  return {
    messageId: m.messageId,
    receiptHandle: m.receiptHandle,
    body: m.body,
    attributes: {
      ApproximateReceiveCount: String(m.receiveCount),
      SentTimestamp: String(m.sentAt),
      SenderId: 'local',
      ApproximateFirstReceiveTimestamp: String(Date.now()),
    },
    messageAttributes: Object.fromEntries(Object.entries(m.attributes).map(([k, v]) => [k, { stringValue: v, dataType: 'String' }])),
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: `arn:aws:sqs:local:000000000000:${queueName}`,
    awsRegion: 'local',
  };
}
