/**
 * The data migrations (lib/data-migrations.ts) in the synthesized stack: `migrateData` runs every 5 minutes from a
 * schedule of its own, is deployed after every other function (a migration counts from its first run: by then no
 * function runs the code before), and may touch the suppressions table only, never with a Scan.
 */
import { describe, expect, it } from 'vitest';
import { Stack, type CfnElement } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { EVENT_FUNCTIONS } from '../../lambdas/wiring/event-functions.ts';
import { policiesOf } from './iam.ts';
import { synthTemplate } from './synth.ts';

const { json, stack } = synthTemplate();
const logicalId = (c: IConstruct): string => Stack.of(c).getLogicalId(c.node.defaultChild as CfnElement);
const fnId = logicalId(stack.migrations.functions.migrateData!);
const { resourcesFor } = policiesOf(json);

describe('migrateData', () => {
  it('is built from its definition: a scheduled function', () => {
    expect(EVENT_FUNCTIONS.migrateData.source).toBe('schedule');
    expect(json.Resources[fnId]!.Properties).toMatchObject({ Runtime: 'nodejs24.x', Timeout: EVENT_FUNCTIONS.migrateData.timeoutSeconds });
  });

  it('runs every 5 minutes from the one schedule that targets it', () => {
    const schedules = Object.values(json.Resources).filter((r) => r.Type === 'AWS::Scheduler::Schedule' && r.Properties.Target.Arn?.['Fn::GetAtt']?.[0] === fnId);
    expect(schedules).toHaveLength(1);
    expect(schedules[0]!.Properties).toMatchObject({ ScheduleExpression: 'rate(5 minutes)', State: 'ENABLED' });
  });

  it('is started by a schedule created after every other resource of the stage (a failed deployment rolls back first)', () => {
    const scheduleId = Object.entries(json.Resources).find(([, r]) => r.Type === 'AWS::Scheduler::Schedule' && r.Properties.Target.Arn?.['Fn::GetAtt']?.[0] === fnId)![0];
    const dependsOn = new Set<string>([json.Resources[scheduleId]!.DependsOn ?? []].flat());
    const mine = new Set(stack.migrations.node.findAll().filter((c) => c.node.defaultChild === undefined && (c as { logicalId?: unknown }).logicalId !== undefined).map((c) => Stack.of(c).getLogicalId(c as CfnElement)));
    const others = Object.entries(json.Resources).filter(([id, r]) => !mine.has(id) && r.Type !== 'AWS::CDK::Metadata').map(([id]) => id);
    expect(others.length).toBeGreaterThan(300);
    expect(others.filter((id) => !dependsOn.has(id))).toEqual([]);
  });

  it('deploys after every other function of the stage', () => {
    const others = Object.entries(stack.functions).filter(([key]) => key !== 'migrateData');
    expect(others.length).toBeGreaterThan(15);
    const dependsOn = new Set<string>([json.Resources[fnId]!.DependsOn ?? []].flat());
    for (const [key, { fn }] of others) expect(dependsOn.has(logicalId(fn)), key).toBe(true);
  });

  it('reads, updates and deletes suppressions (through the legacy index), and nothing else', () => {
    const role = logicalId(stack.migrations.functions.migrateData!.role!);
    const table = `<${logicalId(stack.data.tables.suppressions)}.Arn>`;
    expect(resourcesFor(role, 'dynamodb:Query')).toEqual([table, `${table}/index/legacy`].sort());
    for (const action of ['dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:GetItem']) expect(resourcesFor(role, action)).toEqual([table]);
    for (const action of ['dynamodb:Scan', 'dynamodb:PutItem']) expect(resourcesFor(role, action)).toEqual([]);
  });
});
