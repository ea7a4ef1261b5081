/**
 * The preference page's and the confirm link's dependencies: everything (an opt-in there sends a confirmation mail or
 * starts a journey), the stores on the public routes' lean DynamoDB client, so neither function bundles the SDK's
 * (~200 KiB, most of a cold start: docs/SCALING.md). Built once per cold start.
 */
import type { Deps } from '../services/deps.ts';
import { buildContainer } from './full-container.ts';
import { leanDb } from './public-container.ts';

let deps: Deps | undefined;

export function pageContainer(): Deps {
  deps ??= buildContainer(leanDb());
  return deps;
}
