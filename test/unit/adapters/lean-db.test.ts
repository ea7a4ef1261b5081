/**
 * The lean DynamoDB client (lambdas/adapters/dynamo/lean-db.ts) against a stand-in DynamoDB on loopback that answers
 * what DynamoDB Local never does: throttling, 5xx, a dropped connection. What is signed is what is sent (the server
 * signs the request it received again with the SDK's signer and compares), what is retried and what is not, and a
 * retried transaction keeps its idempotency token.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { NodeSha256 } from '../../../lambdas/adapters/node-sha256.ts';
import { GetCommand, PutCommand, TransactWriteCommand } from '../../../lambdas/adapters/dynamo/db.ts';
import { fromWire, LeanDb, toWire, type Credentials } from '../../../lambdas/adapters/dynamo/lean-db.ts';

interface Seen {
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

type Reply = { status: number; body: unknown } | 'drop' | 'cut';

const credentials: Credentials = { accessKeyId: 'AKIDLEANTEST', secretAccessKey: 'lean/test/secret', sessionToken: 'session-token' };
let server: Server;
let endpoint: string;
let seen: Seen[] = [];
let replies: Reply[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const reply = replies.shift() ?? { status: 200, body: {} };
      if (reply === 'drop') return void req.socket.destroy();
      // Headers and the start of a body, then the connection is gone.
      if (reply === 'cut') return void res.writeHead(200, { 'content-length': '100' }).write('{"Item":', () => req.socket.destroy());
      res.writeHead(reply.status, { 'content-type': 'application/x-amz-json-1.0' }).end(JSON.stringify(reply.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  seen = [];
  replies = [];
});

const waits: number[] = [];
const client = (maxAttempts?: number) => new LeanDb({ region: 'eu-west-1', endpoint, ...(maxAttempts ? { maxAttempts } : {}), credentials: () => credentials, sleep: async (ms) => void waits.push(ms) });
const get = new GetCommand({ TableName: 't', Key: { pk: 'a', sk: 'b' } });
const error = (type: string, status = 400) => ({ status, body: { __type: `com.amazonaws.dynamodb.v20120810#${type}`, message: `${type} for the test` } });

describe('the lean DynamoDB client on the wire', () => {
  it('sends DynamoDB JSON, and its signature is the one the SDK signer computes for the request as received', async () => {
    replies = [{ status: 200, body: { Item: { pk: { S: 'a' }, sk: { S: 'b' }, n: { N: '7' } } } }];
    const out = await client().send(get);
    expect(out.Item).toEqual({ pk: 'a', sk: 'b', n: 7 });
    const [request] = seen;
    expect(request!.headers['x-amz-target']).toBe('DynamoDB_20120810.GetItem');
    expect(request!.headers['content-type']).toBe('application/x-amz-json-1.0');
    expect(request!.headers['x-amz-security-token']).toBe('session-token');
    expect(JSON.parse(request!.body)).toEqual({ TableName: 't', Key: { pk: { S: 'a' }, sk: { S: 'b' } } });

    const authorization = String(request!.headers.authorization);
    const signedNames = /SignedHeaders=([^,]+)/.exec(authorization)![1]!.split(';');
    expect(signedNames).toEqual(expect.arrayContaining(['host', 'content-type', 'x-amz-date', 'x-amz-target', 'x-amz-security-token']));
    const amzDate = String(request!.headers['x-amz-date']);
    const signingDate = new Date(`${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`);
    const { hostname, port } = new URL(endpoint);
    const again = await new SignatureV4({ service: 'dynamodb', region: 'eu-west-1', sha256: NodeSha256, credentials }).sign(
      {
        method: 'POST',
        protocol: 'http:',
        hostname,
        port: Number(port),
        path: '/',
        query: {},
        headers: Object.fromEntries(signedNames.filter((n) => n !== 'x-amz-date' && n !== 'x-amz-security-token').map((n) => [n, String(request!.headers[n])])),
        body: request!.body,
      },
      { signingDate },
    );
    expect(authorization).toBe(again.headers.authorization);
    expect(authorization).toContain(`Credential=AKIDLEANTEST/${amzDate.slice(0, 8)}/eu-west-1/dynamodb/aws4_request`);
  });

  it('tries a throttled call and a 5xx again, and answers the try that succeeds', async () => {
    replies = [error('ProvisionedThroughputExceededException'), error('InternalServerError', 500), { status: 200, body: { Item: { pk: { S: 'a' }, sk: { S: 'b' } } } }];
    waits.length = 0;
    await expect(client().send(get)).resolves.toMatchObject({ Item: { pk: 'a', sk: 'b' } });
    expect(seen).toHaveLength(3);
    expect(waits).toHaveLength(2);
    // A random share of the step, as the SDK's DynamoDB client: up to 1 s after a throttle, up to 50 ms before the third try.
    expect(waits[0]).toBeLessThanOrEqual(1_000);
    expect(waits[1]).toBeLessThanOrEqual(50);
  });

  it('tries an HTTP 429 and a replicated write conflict again, as the SDK does', async () => {
    replies = [{ status: 429, body: {} }, error('ReplicatedWriteConflictException'), { status: 200, body: {} }];
    await expect(client().send(get)).resolves.toEqual({});
    expect(seen).toHaveLength(3);
  });

  it('tries again when the connection is lost in the middle of the answer', async () => {
    replies = ['cut', { status: 200, body: { Item: { pk: { S: 'a' } } } }];
    await expect(client().send(get)).resolves.toEqual({ Item: { pk: 'a' } });
    expect(seen).toHaveLength(2);
  });

  it('refuses a legacy parameter it would send unconverted, without a request', async () => {
    await expect(client().send(new PutCommand({ TableName: 't', Item: { pk: 'a' }, Expected: { pk: { Exists: false } } }))).rejects.toMatchObject({
      name: 'UnsupportedParameter',
      message: expect.stringContaining('Expected'),
      $fault: 'client',
    });
    expect(seen).toHaveLength(0);
  });

  it('tries a dropped connection again', async () => {
    replies = ['drop', { status: 200, body: {} }];
    await expect(client().send(get)).resolves.toEqual({});
    expect(seen).toHaveLength(2);
  });

  it('gives up after its tries (4, the SDK DynamoDB client\'s), with the last refusal', async () => {
    replies = [error('ThrottlingException'), error('ThrottlingException'), error('ThrottlingException'), error('ThrottlingException'), { status: 200, body: {} }];
    await expect(client().send(get)).rejects.toMatchObject({ name: 'ThrottlingException', message: 'ThrottlingException for the test', $fault: 'client' });
    expect(seen).toHaveLength(4);
  });

  it('does not try a refused condition or a bad request again', async () => {
    replies = [error('ConditionalCheckFailedException'), error('ValidationException')];
    await expect(client().send(new PutCommand({ TableName: 't', Item: { pk: 'a', sk: 'b' }, ConditionExpression: 'attribute_not_exists(pk)' }))).rejects.toMatchObject({
      name: 'ConditionalCheckFailedException',
    });
    await expect(client().send(get)).rejects.toMatchObject({ name: 'ValidationException' });
    expect(seen).toHaveLength(2);
  });

  it('sends a retried transaction with the same idempotency token', async () => {
    replies = [error('InternalServerError', 500), { status: 200, body: {} }];
    await client().send(new TransactWriteCommand({ TransactItems: [{ Put: { TableName: 't', Item: { pk: 'a', sk: 'b', at: new Set(['x']) } } }] }));
    const [first, second] = seen.map((s) => JSON.parse(s.body));
    expect(first.ClientRequestToken).toMatch(/^[0-9a-f-]{36}$/);
    expect(second.ClientRequestToken).toBe(first.ClientRequestToken);
    expect(first.TransactItems[0].Put.Item).toEqual({ pk: { S: 'a' }, sk: { S: 'b' }, at: { SS: ['x'] } });
  });

  it('refuses to send without credentials, naming where they come from', async () => {
    const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
    delete process.env.AWS_ACCESS_KEY_ID;
    delete process.env.AWS_SECRET_ACCESS_KEY;
    try {
      await expect(new LeanDb({ region: 'eu-west-1', endpoint }).send(get)).rejects.toMatchObject({ name: 'CredentialsMissing', message: expect.stringContaining('AWS_ACCESS_KEY_ID') });
      expect(seen).toHaveLength(0);
    } finally {
      if (saved.id !== undefined) process.env.AWS_ACCESS_KEY_ID = saved.id;
      if (saved.secret !== undefined) process.env.AWS_SECRET_ACCESS_KEY = saved.secret;
    }
  });
});

describe('the lean client\'s conversion of what DynamoDB Local always processes', () => {
  it('gives back unprocessed keys and writes in the document shape, for the stores to send again', () => {
    const answer = fromWire({
      UnprocessedKeys: { t: { Keys: [{ pk: { S: 'a' }, sk: { S: 'b' } }], ConsistentRead: true } },
      UnprocessedItems: { t: [{ PutRequest: { Item: { pk: { S: 'a' }, n: { N: '1' } } } }, { DeleteRequest: { Key: { pk: { S: 'c' } } } }] },
    });
    expect(answer.UnprocessedKeys).toEqual({ t: { Keys: [{ pk: 'a', sk: 'b' }], ConsistentRead: true } });
    expect(answer.UnprocessedItems).toEqual({ t: [{ PutRequest: { Item: { pk: 'a', n: 1 } } }, { DeleteRequest: { Key: { pk: 'c' } } }] });
  });

  it('marshals each request of a batch write and a transaction, and leaves a caller\'s idempotency token alone', () => {
    expect(toWire('BatchWriteItem', { RequestItems: { t: [{ PutRequest: { Item: { pk: 'a', tags: new Set([1, 2]) } } }, { DeleteRequest: { Key: { pk: 'b' } } }] } })).toEqual({
      RequestItems: { t: [{ PutRequest: { Item: { pk: { S: 'a' }, tags: { NS: ['1', '2'] } } } }, { DeleteRequest: { Key: { pk: { S: 'b' } } } }] },
    });
    const wire = toWire('TransactWriteItems', {
      ClientRequestToken: 'mine',
      TransactItems: [{ ConditionCheck: { TableName: 't', Key: { pk: 'a' }, ConditionExpression: 'v = :v', ExpressionAttributeValues: { ':v': false } } }],
    });
    expect(wire).toEqual({ ClientRequestToken: 'mine', TransactItems: [{ ConditionCheck: { TableName: 't', Key: { pk: { S: 'a' } }, ConditionExpression: 'v = :v', ExpressionAttributeValues: { ':v': { BOOL: false } } } }] });
  });
});
