/**
 * The data migrations a new version brings, run where the data is: the `migrateData` function on a
 * {@link FunctionSchedule} (`rate(5 minutes)`), which moves what it can per run and, once everything is moved, only
 * reads that it is done (lambdas/handlers/migrate-data.ts). Today one: suppressions to one item per address
 * (lambdas/adapters/dynamo/suppression-store.ts).
 *
 * The function is deployed after every other Sendwell function (a dependency on each), and the stack creates its
 * schedule after every other resource (`SendwellStack`): a move's first run comes after the rest of the deployment,
 * and the move waits its settle time from there before it moves anything (suppression-store.ts).
 */
import { Duration } from 'aws-cdk-lib';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import { Construct, type IDependable } from 'constructs';
import { EVENT_FUNCTIONS } from '../lambdas/wiring/event-functions.ts';
import { assertEventSource, buildFunction, type BuildFunctionOptions } from './functions.ts';
import { FunctionSchedule } from './function-schedule.ts';

export interface DataMigrationsProps extends BuildFunctionOptions {
  /** Every other function of the stage: deployed before this one. */
  readonly after: readonly IDependable[];
}

export class DataMigrations extends Construct {
  /** The functions by key (`migrateData`), as `HttpEndpoints.functions`. */
  readonly functions: Readonly<Record<string, nodejs.NodejsFunction>>;
  readonly schedule: FunctionSchedule;

  constructor(scope: Construct, id: string, props: DataMigrationsProps) {
    super(scope, id);
    assertEventSource('migrateData', EVENT_FUNCTIONS.migrateData, 'schedule');
    const fn = buildFunction(this, 'migrateData', EVENT_FUNCTIONS.migrateData, props);
    for (const other of props.after) fn.node.addDependency(other);
    this.functions = { migrateData: fn };
    this.schedule = new FunctionSchedule(this, 'Schedule', {
      fn,
      every: Duration.minutes(5),
      description: `Sendwell ${props.stage}: data migrations until done (migrateData).`,
    });
  }
}
