/**
 * The setup most API tests share: the local gateway with every real handler, an admin client on it, and (for the
 * public-endpoint tests) a marketing scenario. Call at the top of a test file; read the fields inside tests.
 */
import { afterAll, beforeAll } from 'vitest';
import { adminClient } from './admin-client.ts';
import { startTestGateway, type CallAs, type TestGateway } from './gateway.ts';
import { marketingScenario, type Scenario } from './scenario.ts';
import { hasOwnTables, ownTables } from './own-tables.ts';

export interface Suite {
  gw: TestGateway;
  api: ReturnType<typeof adminClient>;
  /** Set when a scenario label was given. */
  s: Scenario;
  /** An admin client that calls as a console role (or a test user) instead of the admin. */
  as(who: CallAs): ReturnType<typeof adminClient>;
}

export interface GatewayOptions {
  /**
   * Tables of this file's own, named by this label, without a scenario: for a file that runs the campaign engine
   * (its sweeps launch, complete and decide every campaign of the tables they see, another file's too, as two
   * integration files run at once) or that changes stage-wide state.
   */
  readonly ownTables?: string;
}

/** `scenario`: a marketing scenario of that label, on tables of the file's own; or options without a scenario. */
export function useGateway(scenario?: string | GatewayOptions): Suite {
  const scenarioLabel = typeof scenario === 'string' ? scenario : undefined;
  const tablesLabel = typeof scenario === 'string' ? scenario : scenario?.ownTables;
  const suite = { as: (who: CallAs) => adminClient(suite.gw, who) } as Suite;
  // A scenario sends marketing and expects it to go out now: on the run's shared tables, stage-wide state another
  // file leaves behind (quiet hours, the marketing pause, caps) would hold or defer it. CI once saw every scenario
  // file's mail deferred that way; each scenario file now has tables of its own.
  const createOwnTables = tablesLabel !== undefined && !hasOwnTables() ? ownTables(tablesLabel) : undefined;
  beforeAll(async () => {
    await createOwnTables?.();
    suite.gw = await startTestGateway();
    suite.api = adminClient(suite.gw);
    if (scenarioLabel) suite.s = await marketingScenario(suite.api, scenarioLabel);
  });
  afterAll(async () => {
    await suite.gw?.stop();
  });
  return suite;
}
