/**
 * The local stack creates its DynamoDB Local tables from the same definitions (`local/tables.ts`); this holds the
 * CreateTable input it sends and the deployed template to the same keys, attribute types, indexes and stream.
 */
import { describe, expect, it } from 'vitest';
import { Stack, type CfnElement } from 'aws-cdk-lib';
import { TABLES, type TableKey } from '../../lambdas/wiring/tables.ts';
import { createTableInput } from '../../local/tables.ts';
import { synthTemplate } from './synth.ts';

const { json, stack } = synthTemplate();
const byName = <T extends { AttributeName?: string; IndexName?: string }>(xs: readonly T[] = []) =>
  [...xs].sort((a, b) => String(a.AttributeName ?? a.IndexName).localeCompare(String(b.AttributeName ?? b.IndexName)));

describe.each(Object.keys(TABLES) as TableKey[])('%s', (key) => {
  it('is created locally with the keys, attribute types, indexes and stream deployed to AWS', () => {
    const def = TABLES[key];
    const local = createTableInput(def, `sendwell-${def.id}`);
    const table = stack.data.tables[key];
    const deployed = json.Resources[Stack.of(table).getLogicalId(table.node.defaultChild as CfnElement)]!.Properties;

    expect(local.BillingMode).toBe(deployed.BillingMode);
    expect(local.KeySchema).toEqual(deployed.KeySchema);
    expect(byName(local.AttributeDefinitions)).toEqual(byName(deployed.AttributeDefinitions));
    expect(byName(local.GlobalSecondaryIndexes)).toEqual(byName(deployed.GlobalSecondaryIndexes));
    expect(local.StreamSpecification?.StreamViewType).toEqual(deployed.StreamSpecification?.StreamViewType);
  });
});
