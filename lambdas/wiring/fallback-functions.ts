/**
 * Functions that are not behind a route of the table: the HTTP API's `$default` route (see lambdas/handlers/no-route.ts).
 * Kept apart from `FUNCTIONS` so the stack composes it explicitly: `$default` → `noRoute`, with no authorizer (it
 * answers only 404/405 and reads nothing).
 */
import type { FunctionDef } from './routes.ts';

export const FALLBACK_FUNCTIONS = {
  noRoute: {
    entry: 'lambdas/handlers/no-route.ts',
    description: 'The $default route: 404, or 405 with Allow, in the API error shape for any request no route takes.',
    memorySize: 128,
    timeoutSeconds: 3,
    permissions: [],
  },
} as const satisfies Record<string, FunctionDef>;
