/**
 * The services' dependencies of every function but the public pages, built once per cold start on the SDK's
 * DynamoDB client (full-container.ts builds them; the public routes build theirs on the lean client:
 * public-container.ts, page-container.ts).
 */
import type { Deps } from '../services/deps.ts';
import { dynamoDb } from './clients.ts';
import { buildContainer } from './full-container.ts';

export { parsePolicies, parseSending, useLocalCampaignQueues } from './full-container.ts';

let deps: Deps | undefined;

export function container(): Deps {
  deps ??= buildContainer(dynamoDb());
  return deps;
}
