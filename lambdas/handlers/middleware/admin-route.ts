/**
 * The edge of every admin route: the HTTP edge of `http.ts` plus the role check of `authorize.ts`. Admin handlers
 * use this, never `httpRoute` alone; a test calls every admin route as a caller with no role and expects 403.
 */
import type { z } from 'zod';
import { authorizeRoute } from './authorize.ts';
import { httpRoute, type HttpRequest, type HttpResult, type RouteSchemas } from './http.ts';

export function adminRoute<B extends z.ZodType = z.ZodUnknown, Q extends z.ZodType = z.ZodUnknown, P extends z.ZodType = z.ZodUnknown>(
  schemas: RouteSchemas<B, Q, P>,
  impl: (req: HttpRequest<z.infer<B>, z.infer<Q>, z.infer<P>>) => Promise<HttpResult>,
) {
  return httpRoute(schemas, impl, authorizeRoute());
}
