/**
 * Which methods the route table serves on a path: what an unknown route (404) or a wrong method (405 with `Allow`)
 * is answered with, the same on the local gateway and on AWS (the `$default` route, `lambdas/handlers/no-route.ts`).
 */
import type { HttpMethod, RouteDef } from './routes.ts';

const patternOf = (path: string): RegExp =>
  new RegExp(
    `^${path
      .split('/')
      .map((seg) => (/^\{\w+\+\}$/.test(seg) ? '.+' : /^\{\w+\}$/.test(seg) ? '[^/]+' : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
      .join('/')}$`,
  );

/** Every method some route serves on `path` (`HEAD` with `GET`), sorted; empty when no route has this path. */
export function allowedMethods(routes: readonly Pick<RouteDef, 'method' | 'path'>[], path: string): string[] {
  const methods = new Set<string>();
  for (const r of routes) {
    if (patternOf(r.path).test(path)) {
      methods.add(r.method);
      if (r.method === 'GET') methods.add('HEAD');
    }
  }
  return [...methods].sort();
}

export interface NoRouteAnswer {
  readonly status: 404 | 405;
  readonly headers: Record<string, string>;
  readonly body: { error: { code: 'not_found' | 'method_not_allowed'; message: string; details: Array<{ path?: string; message: string }> } };
}

/** The answer for a request no route takes: 405 naming the methods when the path exists, else 404. */
export function noRouteAnswer(routes: readonly Pick<RouteDef, 'method' | 'path'>[], method: string, path: string): NoRouteAnswer {
  const allowed = allowedMethods(routes, path);
  const shownPath = path.length > 200 ? `${path.slice(0, 200)}…` : path;
  if (allowed.length) {
    return {
      status: 405,
      headers: { allow: allowed.join(', ') },
      body: { error: { code: 'method_not_allowed', message: `${method} is not served on ${shownPath}; it takes ${allowed.join(', ')}.`, details: [{ path: 'method', message: `one of ${allowed.join(', ')}` }] } },
    };
  }
  return {
    status: 404,
    headers: {},
    body: { error: { code: 'not_found', message: `No route ${shownPath}. The routes are listed in GET /v1/openapi.json.`, details: [{ path: 'path', message: 'no such route' }] } },
  };
}

export type { HttpMethod };
