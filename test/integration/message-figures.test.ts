/**
 * The day counters from the messages stream (issue 17), exactly once: an event whose handler died after the record
 * was written is still counted; an SES event delivered again is not; a stream batch delivered again (Lambda's retry,
 * a restarted reader without its checkpoint) counts nothing twice, also when the second delivery is longer; a batch
 * whose counter write failed is reported from its first record and counted once when it comes again.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { BatchWriteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { documentClient, dynamoClient, dynamoDb } from '../../lambdas/adapters/clients.ts';
import { config } from '../../lambdas/adapters/config.ts';
import { MessageStore } from '../../lambdas/adapters/dynamo/message-store.ts';
import { handler as sesEventsHandler } from '../../lambdas/handlers/ses-events.ts';
import { handler as figuresHandler } from '../../lambdas/handlers/count-message-figures.ts';
import { startStreamPoller } from '../../local/stream-poller.ts';
import { asFunction } from '../../local/table-access-guard.ts';
import { settleFigures } from '../support/figures-stream.ts';
import { sesEvent } from '../support/ses-events.ts';
import { useGateway } from '../support/suite.ts';

const sesEvents = asFunction('sesEvents', sesEventsHandler);
const countFigures = asFunction('countMessageFigures', figuresHandler);
const suite = useGateway('figures');
const today = () => new Date().toISOString().slice(0, 10);
const series = async (name: string) => {
  await settleFigures();
  return new MessageStore(dynamoDb(), config().tables).dayCounters(today(), name);
};

/** Makes the next call `command` on `table` fail as if the function died there; returns a function that undoes it. */
function failNext(command: string, table: () => string, times = 1): () => void {
  const name = `fail-${randomUUID()}`;
  let left = times;
  const stack = dynamoClient().middlewareStack as unknown as { add(mw: unknown, options: { step: 'initialize'; name: string }): void; remove(name: string): boolean };
  stack.add(
    (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) => async (args: unknown) => {
      const input = (args as { input?: { TableName?: string; TransactItems?: unknown[] } }).input;
      if (left > 0 && context.commandName === command && (input?.TableName === table() || (command === 'TransactWriteItemsCommand' && JSON.stringify(input).includes(table())))) {
        left--;
        throw Object.assign(new Error('the function died here (test)'), { name: 'TestCrash' });
      }
      return next(args);
    },
    { step: 'initialize', name },
  );
  return () => void stack.remove(name);
}

/** A stream record of a message record's delivery, as Lambda hands it over. */
function deliveryRecord(campaign: string, n: number): DynamoDBStreamEvent['Records'][number] {
  const base = { pk: `M#fig-${campaign}-${n}`, sk: 'MSG', messageId: `fig-${campaign}-${n}`, class: 'marketing', campaignId: campaign, status: 'sent' };
  return {
    eventID: `${campaign}-${n}`,
    eventName: 'MODIFY',
    dynamodb: {
      SequenceNumber: String(1000 + n).padStart(21, '0'),
      OldImage: marshall(base) as never,
      NewImage: marshall({ ...base, deliveredAt: new Date().toISOString(), deliveryStatus: 'delivered' }) as never,
    },
  };
}
const batch = (records: DynamoDBStreamEvent['Records']): DynamoDBStreamEvent => ({ Records: records });

describe('figures from the messages stream', () => {
  it('counts an event whose handler died after the record was written, and not again when the event comes again', async () => {
    const { s, api } = suite;
    const r = await s.recipient('crash');
    const sent = await s.sendMarketing({ recipientId: r.id });
    const values = { messageId: sent.messageId, sesId: (await api.get(`/v1/messages/${sent.messageId}`)).body.sesMessageId as string, address: r.email };
    const before = await series(`T#${s.topic}`);
    // The bounce is recorded on the message, then the function dies before the suppression (and before any counter).
    const undo = failNext('UpdateItemCommand', () => config().tables.suppressions);
    await expect(sesEvents(sesEvent('bounce-permanent', values))).rejects.toThrow('the function died here');
    undo();
    expect(((await series(`T#${s.topic}`)).bounced_hard ?? 0) - (before.bounced_hard ?? 0)).toBe(1);
    expect((await api.get(`/v1/suppressions?email=${encodeURIComponent(r.email)}`)).body.suppressions ?? []).toEqual([]);
    // EventBridge delivers it again: the record knows it, nothing is counted twice, and the suppression the first
    // delivery never reached is added now.
    expect(await sesEvents(sesEvent('bounce-permanent', values))).toBe('duplicate');
    const suppressed = (await api.get(`/v1/suppressions?email=${encodeURIComponent(r.email)}`)).body;
    expect(suppressed.suppressions).toMatchObject([{ reason: 'hard_bounce', scope: 'all' }]);
    expect(await sesEvents(sesEvent('bounce-permanent', values))).toBe('duplicate');
    expect(await sesEvents(sesEvent('delivery', values))).toBe('applied');
    const after = await series(`T#${s.topic}`);
    expect((after.bounced_hard ?? 0) - (before.bounced_hard ?? 0)).toBe(1);
    expect((after.bounced_hard_marketing ?? 0) - (before.bounced_hard_marketing ?? 0)).toBe(1);
    expect((after.suppressions_added ?? 0) - (before.suppressions_added ?? 0)).toBe(1);
    expect((after.delivered ?? 0) - (before.delivered ?? 0)).toBe(1);
  });

  it('counts a batch delivered again after its counters were written once, also when the second delivery is longer', async () => {
    const campaign = `redeliver${Date.now().toString(36)}`;
    const records = Array.from({ length: 5 }, (_, n) => deliveryRecord(campaign, n));
    expect(await countFigures(batch(records.slice(0, 3)))).toEqual({ batchItemFailures: [] });
    expect((await series(`C#${campaign}`)).delivered).toBe(3);
    // Lambda's retry of the same batch (the function timed out after the write): the part's marker is found.
    expect(await countFigures(batch(records.slice(0, 3)))).toEqual({ batchItemFailures: [] });
    expect((await series(`C#${campaign}`)).delivered).toBe(3);
    // A reader restarted behind its checkpoint reads from the same first record, further: only the new ones count.
    expect(await countFigures(batch(records))).toEqual({ batchItemFailures: [] });
    expect((await series(`C#${campaign}`)).delivered).toBe(5);
    expect(await countFigures(batch(records))).toEqual({ batchItemFailures: [] });
    expect((await series(`C#${campaign}`)).delivered_marketing).toBe(5);
  });

  it('reports a batch whose counters could not be written from its first record, and counts it once when it comes again', async () => {
    const campaign = `failing${Date.now().toString(36)}`;
    const records = Array.from({ length: 4 }, (_, n) => deliveryRecord(campaign, n));
    const undo = failNext('TransactWriteItemsCommand', () => config().tables.counters);
    expect(await countFigures(batch(records))).toEqual({ batchItemFailures: [{ itemIdentifier: records[0]!.dynamodb!.SequenceNumber }] });
    undo();
    expect((await series(`C#${campaign}`)).delivered ?? 0).toBe(0);
    expect(await countFigures(batch(records))).toEqual({ batchItemFailures: [] });
    expect(await countFigures(batch(records))).toEqual({ batchItemFailures: [] });
    expect((await series(`C#${campaign}`)).delivered).toBe(4);
  });

  it('counts nothing twice when the whole stream is read again from its start (a reader that lost its checkpoint)', async () => {
    const { s, api } = suite;
    const r = await s.recipient('again');
    const sent = await s.sendMarketing({ recipientId: r.id });
    const values = { messageId: sent.messageId, sesId: (await api.get(`/v1/messages/${sent.messageId}`)).body.sesMessageId as string, address: r.email };
    expect(await sesEvents(sesEvent('delivery', values))).toBe('applied');
    const before = await series('ALL');
    expect(before.delivered).toBeGreaterThan(0);
    const again = startStreamPoller({
      endpoint: inject('sendwell').dynamodbEndpoint,
      tableName: config().tables.messages,
      handler: countFigures,
      intervalMs: 50,
    });
    try {
      await again.drain(60_000);
    } finally {
      await again.stop();
    }
    expect(await series('ALL')).toEqual(before);
  });
});

describe('the local stream reader', () => {
  /** A reader of the messages stream from now on, with a 2 s batching window, polling every 50 ms. */
  const windowed = (options: Pick<Parameters<typeof startStreamPoller>[0], 'handler' | 'filters'>) =>
    startStreamPoller({ endpoint: inject('sendwell').dynamodbEndpoint, tableName: config().tables.messages, startAt: 'LATEST', intervalMs: 50, batchingWindowMs: 2_000, ...options });

  it('with a batching window, hands writes that come within it over as one batch (as the deployed mapping does)', async () => {
    const key = `WIN#${randomUUID()}`;
    const batches: string[][] = [];
    const reader = windowed({
      handler: async (event) => {
        const mine = event.Records.map((r) => String(r.dynamodb?.Keys?.pk?.S)).filter((pk) => pk === key);
        if (mine.length) batches.push(event.Records.map((r) => String(r.dynamodb?.Keys?.sk?.S)).filter((_, i) => String(event.Records[i]!.dynamodb?.Keys?.pk?.S) === key));
      },
    });
    try {
      await reader.drain(60_000);
      const put = (sk: string) => documentClient().send(new PutCommand({ TableName: config().tables.messages, Item: { pk: key, sk } }));
      await put('a');
      // Later than the reader's next poll (50 ms), well inside its window: without the window, two batches.
      await new Promise((r) => setTimeout(r, 400));
      await put('b');
      await reader.drain(60_000);
    } finally {
      await reader.stop();
    }
    expect(batches).toEqual([['a', 'b']]);
  });

  it('with a batching window, fills each batch with what the filters let through, in order, each record once', async () => {
    const key = `FILL#${randomUUID()}`;
    const batches: string[][] = [];
    const reader = windowed({
      // Half of the writes pass: a page of 100 records holds 50 of them, so a batch of 100 takes more than one page.
      filters: [{ dynamodb: { Keys: { pk: { S: [key] }, sk: { S: [{ prefix: 'p' }] } } } }],
      handler: async (event) => void batches.push(event.Records.map((r) => String(r.dynamodb?.Keys?.sk?.S))),
    });
    const sks = Array.from({ length: 500 }, (_, i) => `${i % 2 ? 'n' : 'p'}${String(i).padStart(3, '0')}`);
    try {
      await reader.drain(60_000);
      for (let i = 0; i < sks.length; i += 25) {
        await documentClient().send(new BatchWriteCommand({ RequestItems: { [config().tables.messages]: sks.slice(i, i + 25).map((sk) => ({ PutRequest: { Item: { pk: key, sk } } })) } }));
      }
      await reader.drain(60_000);
    } finally {
      await reader.stop();
    }
    expect(batches.map((b) => b.length)).toEqual([100, 100, 50]);
    expect(batches.flat()).toEqual(sks.filter((sk) => sk.startsWith('p')));
  });
});
