/**
 * The local stack models IAM's item-level check: a handler's DynamoDB call that its function's `tables` do not allow
 * fails as AccessDenied would on AWS (against the real DynamoDB Local of the run), and one they allow goes through.
 */
import { describe, expect, it } from 'vitest';
import { DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../../../lambdas/adapters/clients.ts';
import { config } from '../../../lambdas/adapters/config.ts';
import { asFunction } from '../../../local/table-access-guard.ts';
import { DeleteCommand as LeanDelete, GetCommand as LeanGet } from '../../../lambdas/adapters/dynamo/db.ts';
import { LeanDb } from '../../../lambdas/adapters/dynamo/lean-db.ts';

describe('the table access guard (installed by the integration setup, as by npm start)', () => {
  const messages = () => config().tables.messages;
  const key = { pk: 'M#guard-test', sk: 'R' };

  it('lets the admin function put and delete a message item', async () => {
    await asFunction('admin', () => documentClient().send(new PutCommand({ TableName: messages(), Item: { ...key, note: 'guard' } })))();
    await asFunction('admin', () => documentClient().send(new DeleteCommand({ TableName: messages(), Key: key })))();
    expect((await documentClient().send(new GetCommand({ TableName: messages(), Key: key }))).Item).toBeUndefined();
  });

  it('refuses the open pixel a delete on the messages table, and the item stays', async () => {
    await documentClient().send(new PutCommand({ TableName: messages(), Item: { ...key, note: 'guard' } }));
    await expect(asFunction('openPixel', () => documentClient().send(new DeleteCommand({ TableName: messages(), Key: key })))()).rejects.toMatchObject({
      name: 'AccessDeniedException',
      message: expect.stringMatching(/"openPixel" may not delete items of table "messages"/),
    });
    expect((await documentClient().send(new GetCommand({ TableName: messages(), Key: key }))).Item).toMatchObject({ note: 'guard' });
  });

  it('refuses the click function any access to the consent ledger', async () => {
    await expect(
      asFunction('click', () => documentClient().send(new PutCommand({ TableName: config().tables.ledger, Item: { pk: 'R#guard', sk: 'x' } })))(),
    ).rejects.toMatchObject({ name: 'AccessDeniedException' });
  });

  it('checks the public routes\' lean client alike: the pixel may read a message, not delete it', async () => {
    const lean = new LeanDb({ region: config().region, endpoint: config().dynamodbEndpoint!, sharedHooks: true });
    await documentClient().send(new PutCommand({ TableName: messages(), Item: { ...key, note: 'lean' } }));
    await expect(asFunction('openPixel', () => lean.send(new LeanGet({ TableName: messages(), Key: key })))()).resolves.toMatchObject({ Item: { note: 'lean' } });
    await expect(asFunction('openPixel', () => lean.send(new LeanDelete({ TableName: messages(), Key: key })))()).rejects.toMatchObject({
      name: 'AccessDeniedException',
      message: expect.stringMatching(/"openPixel" may not delete items of table "messages" \(DeleteItemCommand\)/),
    });
    expect((await documentClient().send(new GetCommand({ TableName: messages(), Key: key }))).Item).toMatchObject({ note: 'lean' });
  });
});
