/** The bench's write units for a transaction: DynamoDB's charge (2 per item and KB), not DynamoDB Local's report. */
import { describe, expect, it } from 'vitest';
import { itemBytes, transactionWriteUnits } from '../../../bench/capacity.ts';

const small = { pk: 'M#msg_1', sk: 'E#2026-12-06T10:00:00.000Z#open#ab12cd34', at: '2026-12-06T10:00:00.000Z', type: 'open', expiresAt: 1_800_000_000 };

describe('itemBytes', () => {
  it('counts names and values as DynamoDB sizes them, from native values or AttributeValues alike', () => {
    // 'pk' + 'abc' = 5; 'n' + 12345 (5 digits: 3 + 1) = 5; 'b' + true = 2
    expect(itemBytes({ pk: 'abc', n: 12345, b: true })).toBe(12);
    expect(itemBytes({ pk: { S: 'abc' }, n: { N: '12345' }, b: { BOOL: true } })).toBe(12);
    expect(itemBytes({ m: { a: 'xy' } })).toBe(1 + 3 + 1 + 1 + 2);
    expect(itemBytes({ s: 'é' })).toBe(3);
    expect(itemBytes({ big: 'x'.repeat(3000) })).toBe(3003);
  });
});

describe('transactionWriteUnits', () => {
  const table = 'sendwell-Messages';
  it('charges 2 per item of up to 1 KB, whatever DynamoDB Local reports (a flat 4 for small items)', () => {
    const three = [{ Update: { TableName: table, Key: { pk: 'M#1', sk: 'MSG' } } }, { Put: { TableName: table, Item: small } }, { Update: { TableName: table, Key: { pk: 'R#1', sk: 'ENGAGEMENT' } } }];
    expect(transactionWriteUnits({ TransactItems: three }, [{ TableName: table, CapacityUnits: 4 }])).toBe(6);
    expect(transactionWriteUnits({ TransactItems: three.slice(0, 1) }, [{ TableName: table, CapacityUnits: 4 }])).toBe(2);
  });

  it('rounds each put up to its own KBs, and takes an update as large as the largest item Local reports when no put is', () => {
    const big = { ...small, body: 'x'.repeat(2500) };
    expect(transactionWriteUnits({ TransactItems: [{ Put: { TableName: table, Item: big } }, { Put: { TableName: table, Item: big } }] }, [{ TableName: table, CapacityUnits: 12 }])).toBe(12);
    expect(transactionWriteUnits({ TransactItems: [{ Update: { TableName: table, Key: {} } }, { Put: { TableName: table, Item: small } }] }, [{ TableName: table, CapacityUnits: 12 }])).toBe(2 * (3 + 1));
  });

  it('adds up every table of the transaction', () => {
    const items = [{ Put: { TableName: 'a-table', Item: small } }, { ConditionCheck: { TableName: 'b-table', Key: {} } }];
    expect(transactionWriteUnits({ TransactItems: items }, [{ TableName: 'a-table', CapacityUnits: 4 }, { TableName: 'b-table', CapacityUnits: 4 }])).toBe(4);
  });
});
