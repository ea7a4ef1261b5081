/**
 * Role enforcement, in the API itself: every admin route's handler checks its caller against the route's roles
 * (`lambdas/wiring/routes.ts`) before it reads a byte of input, whoever the caller is — a SigV4 service or a
 * console user with a Cognito ID token. The route is found by the event's `routeKey`, so the rule for a route is
 * written once, in the route table, and the API Gateway configuration cannot widen it.
 */
import type { MiddlewareObj } from '@middy/core';
import { logger } from '../../adapters/logger.ts';
import { SendwellError } from '../../domain/errors.ts';
import { ROUTES, mayCall, routeKey, type RouteDef } from '../../wiring/routes.ts';
import { callerOf } from './actor.ts';
import type { HttpEvent, HttpResult } from './http.ts';

const BY_KEY = new Map<string, RouteDef>(ROUTES.map((r) => [routeKey(r), r]));

/** The route an event was routed to, if it is one of ours. */
export const routeOf = (event: HttpEvent): RouteDef | undefined => BY_KEY.get(event.routeKey);

/**
 * Why this event's caller may not call its route, or `undefined` when it may. An event for no known route is
 * refused (fail closed). A shell page (`RouteDef.shell`) that arrives with no authorizer context at all is the local
 * gateway serving the page without credentials: it holds no data, and each API call it makes is checked on its own.
 */
export function refusal(event: HttpEvent): SendwellError | undefined {
  const route = routeOf(event);
  if (!route) return new SendwellError('forbidden', `${event.routeKey} is not a route of this API.`);
  if (route.auth === 'public') return undefined;
  const hasAuthorizer = (event.requestContext as { authorizer?: unknown }).authorizer !== undefined;
  if (route.shell && !hasAuthorizer) return undefined;
  const caller = callerOf(event);
  if (mayCall(route, caller.roles)) return undefined;
  // Who was refused, by kind and roles only: a console user's id is their address, and addresses stay out of logs.
  logger.info('route refused', { route: routeKey(route), callerKind: caller.kind, callerRoles: caller.roles });
  const allowed = ['admin', ...(route.roles ?? [])].join(', ');
  const has = caller.roles.length ? `the caller has ${caller.roles.join(', ')}` : 'the caller has no role (is the user in a group?)';
  return new SendwellError('forbidden', `${routeKey(route)} needs one of the roles ${allowed}; ${has}.`);
}

/** The middy middleware: throws `forbidden` (403) before the body is parsed when the caller may not call the route. */
export const authorizeRoute = (): MiddlewareObj<HttpEvent, HttpResult> => ({
  name: 'sendwell-authorize-route',
  before: (request) => {
    const refused = refusal(request.event);
    if (refused) throw refused;
  },
});
