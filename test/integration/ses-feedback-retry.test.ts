/**
 * SES feedback redelivered after a delivery that died half-way: the event item was stored, the message's delivery
 * status was not. The redelivery is a duplicate of the event, and still finishes the status (what a send in doubt and
 * GET /v1/messages/{id} read). Its own file: it hooks the shared DynamoDB client.
 */
import { describe, expect, it } from 'vitest';
import { QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient, dynamoClient } from '../../lambdas/adapters/clients.ts';
import { config } from '../../lambdas/adapters/config.ts';
import { handler as sesEventsHandler } from '../../lambdas/handlers/ses-events.ts';
import { asFunction } from '../../local/table-access-guard.ts';
import { sesEvent } from '../support/ses-events.ts';
import { useGateway } from '../support/suite.ts';
import { onceBefore } from '../support/dynamo-calls.ts';

const handler = asFunction('sesEvents', sesEventsHandler);
const suite = useGateway('sesretry');

describe('SES feedback redelivered', () => {
  it('a bounce whose first delivery died after its event item still sets the delivery status when it comes again', async () => {
    const { s, api } = suite;
    const r = await s.recipient('retry-bounce');
    const sent = await s.sendMarketing({ recipientId: r.id });
    const sesId = (await api.get(`/v1/messages/${sent.messageId}`)).body.sesMessageId as string;
    const event = sesEvent('bounce-permanent', { messageId: sent.messageId, sesId, address: r.email });
    // The first delivery stops at the status update (a throttle, a time-out), after the event item was written.
    const stopped = await onceBefore(
      dynamoClient(),
      (command, input) => command === 'UpdateItemCommand' && String(input.UpdateExpression ?? '').includes('deliveryStatus'),
      () => {
        throw Object.assign(new Error('stopped'), { name: 'ProvisionedThroughputExceededException', $metadata: { httpStatusCode: 400 } });
      },
      () => expect(handler(event)).rejects.toThrow('stopped'),
    );
    expect(stopped).toBe(true);
    // EventBridge delivers it again.
    expect(await handler(event)).toBe('duplicate');
    expect((await api.get(`/v1/messages/${sent.messageId}`)).body).toMatchObject({ deliveryStatus: 'bounced_hard' });
  });

  it('a feedback event item expires with its message record at the latest (a stage keeping records a short time)', async () => {
    const { s, api } = suite;
    const r = await s.recipient('expiry-bounce');
    const sent = await s.sendMarketing({ recipientId: r.id });
    const sesId = (await api.get(`/v1/messages/${sent.messageId}`)).body.sesMessageId as string;
    const recordExpires = Math.floor(Date.now() / 1000) + 30 * 86_400;
    const { tables } = config();
    await documentClient().send(new UpdateCommand({ TableName: tables.messages, Key: { pk: `M#${sent.messageId}`, sk: 'MSG' }, UpdateExpression: 'SET expiresAt = :e', ExpressionAttributeValues: { ':e': recordExpires } }));
    expect(await handler(sesEvent('bounce-permanent', { messageId: sent.messageId, sesId, address: r.email }))).toBe('applied');
    const items = await documentClient().send(
      new QueryCommand({ TableName: tables.messages, KeyConditionExpression: 'pk = :pk AND begins_with(sk, :e)', ExpressionAttributeValues: { ':pk': `M#${sent.messageId}`, ':e': 'E#' } }),
    );
    expect(items.Items?.length).toBeGreaterThan(0);
    for (const e of items.Items ?? []) expect(e.expiresAt).toBe(recordExpires);
  });
});
