/** What each DynamoDB command needs from IAM, item by item: the mapping the local guard checks calls with. */
import { describe, expect, it } from 'vitest';
import { usesOf } from '../../../local/table-access-guard.ts';

describe('usesOf', () => {
  it.each([
    ['GetItemCommand', { TableName: 'm' }, [{ table: 'm', verb: 'read' }]],
    ['QueryCommand', { TableName: 'm', IndexName: 'gsi1' }, [{ table: 'm', verb: 'read' }]],
    ['ScanCommand', { TableName: 'm' }, [{ table: 'm', verb: 'scan' }]],
    ['PutItemCommand', { TableName: 'm' }, [{ table: 'm', verb: 'put' }]],
    ['UpdateItemCommand', { TableName: 'm' }, [{ table: 'm', verb: 'update' }]],
    ['DeleteItemCommand', { TableName: 'm' }, [{ table: 'm', verb: 'delete' }]],
    ['BatchGetItemCommand', { RequestItems: { a: {}, b: {} } }, [{ table: 'a', verb: 'read' }, { table: 'b', verb: 'read' }]],
    ['BatchWriteItemCommand', { RequestItems: { a: [{ PutRequest: {} }] } }, [{ table: 'a', verb: 'delete' }]],
    [
      'TransactWriteItemsCommand',
      { TransactItems: [{ Put: { TableName: 'a' } }, { Update: { TableName: 'b' } }, { Delete: { TableName: 'c' } }, { ConditionCheck: { TableName: 'd' } }] },
      [{ table: 'a', verb: 'put' }, { table: 'b', verb: 'update' }, { table: 'c', verb: 'delete' }, { table: 'd', verb: 'read' }],
    ],
    ['TransactGetItemsCommand', { TransactItems: [{ Get: { TableName: 'a' } }] }, [{ table: 'a', verb: 'read' }]],
    ['DescribeTableCommand', { TableName: 'm' }, []],
  ])('%s', (command, input, uses) => {
    expect(usesOf(command, input)).toEqual(uses);
  });
});
