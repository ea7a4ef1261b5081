/**
 * The route table's matching, as API Gateway matches: which route takes a request (the local gateway, and the admin
 * function for what the console API's one proxy route hands it), and which methods a path is served with — what an
 * unknown route (404) or a wrong method (405 with `Allow`) is answered with, the same on the local gateway and on AWS
 * (the `$default` route, `lambdas/handlers/no-route.ts`).
 */
import { answersHead, type HttpMethod, type RouteDef } from './routes.ts';

interface CompiledRoute<R extends Pick<RouteDef, 'method' | 'path'>> {
  readonly route: R;
  readonly pattern: RegExp;
  readonly params: readonly string[];
  readonly staticSegments: number;
}

function compile<R extends Pick<RouteDef, 'method' | 'path'>>(route: R): CompiledRoute<R> {
  const params: string[] = [];
  let staticSegments = 0;
  const source = route.path
    .split('/')
    .map((segment) => {
      const greedy = /^\{(\w+)\+\}$/.exec(segment);
      if (greedy?.[1]) {
        params.push(greedy[1]);
        return '(.+)';
      }
      const param = /^\{(\w+)\}$/.exec(segment);
      if (param?.[1]) {
        params.push(param[1]);
        return '([^/]+)';
      }
      staticSegments++;
      return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  return { route, pattern: new RegExp(`^${source}$`), params, staticSegments };
}

/** Matches like API Gateway: the route with the most literal segments wins over one with parameters. */
export function createRouter<R extends Pick<RouteDef, 'method' | 'path'>>(routes: readonly R[]) {
  const compiled = routes.map(compile).sort((a, b) => b.staticSegments - a.staticSegments);
  return (method: string, rawPath: string) => {
    // API Gateway routes `/u/TOKEN/` as `/u/TOKEN`: a trailing slash names the same resource.
    const path = rawPath.length > 1 ? rawPath.replace(/\/+$/, '') || '/' : rawPath;
    for (const c of compiled) {
      if (c.route.method !== method) continue;
      const m = c.pattern.exec(path);
      if (!m) continue;
      const params = Object.fromEntries(c.params.map((name, i) => [name, safeDecode(m[i + 1] ?? '')]));
      return { route: c.route, params };
    }
    return undefined;
  };
}

/** Percent-decodes a path segment; a malformed sequence (`%FF`) is passed on as written rather than failing. */
function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** Every method some route serves on `path` (`HEAD` with a public `GET`: `answersHead`), sorted; empty when no route has this path. */
export function allowedMethods(routes: readonly Pick<RouteDef, 'method' | 'path' | 'auth'>[], path: string): string[] {
  const methods = new Set<string>();
  for (const r of routes) {
    if (compile(r).pattern.test(path)) {
      methods.add(r.method);
      if (answersHead(r)) methods.add('HEAD');
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
export function noRouteAnswer(routes: readonly Pick<RouteDef, 'method' | 'path' | 'auth'>[], method: string, path: string): NoRouteAnswer {
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
