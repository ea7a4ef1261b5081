/** Builds the OpenAPI 3.1 document from the route table and the zod schemas (zod 4 emits JSON Schema 2020-12). */
import { z } from 'zod';
import type { RouteDef } from '../wiring/routes.ts';
import { ErrorResponseSchema } from './common.ts';
import type { OperationSchemas } from './operations.ts';

type JsonSchema = Record<string, unknown>;

const toSchema = (schema: z.ZodType): JsonSchema => {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  return rest;
};

const pathParams = (path: string) =>
  [...path.matchAll(/\{(\w+)\+?\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));

const queryParams = (schema: z.ZodType | undefined) => {
  if (!schema) return [];
  const js = toSchema(schema) as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(js.properties ?? {}).map(([name, s]) => ({
    name,
    in: 'query',
    required: js.required?.includes(name) ?? false,
    schema: s,
  }));
};

export function buildOpenApi(
  routes: readonly RouteDef[],
  operations: Readonly<Record<string, OperationSchemas>>,
  info: { title: string; version: string },
) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const op = operations[route.operationId];
    if (!op) throw new Error(`No schemas for operation ${route.operationId}`);
    // Every admin route checks its caller's roles (lambdas/handlers/middleware/authorize.ts).
    const forbidden = route.auth === 'admin' && !route.self ? { 403: { description: 'The caller has none of the roles in `x-sendwell-roles`', schema: ErrorResponseSchema } } : {};
    const responses = Object.fromEntries(
      Object.entries({ ...forbidden, ...op.responses }).map(([status, r]) => [
        status,
        {
          description: r.description,
          ...(r.schema ? { content: { [r.mediaType ?? 'application/json']: { schema: toSchema(r.schema) } } } : {}),
          ...(!r.schema && r.mediaType ? { content: { [r.mediaType]: {} } } : {}),
        },
      ]),
    );
    (paths[route.path] ??= {})[route.method.toLowerCase()] = {
      operationId: route.operationId,
      summary: route.summary,
      ...(route.auth === 'admin'
        ? {
            security: [{ sigv4: [] }, { cognitoIdToken: [] }, { localAdminKey: [] }],
            // Who may call it: `admin` (every SigV4 caller) and these Cognito groups.
            'x-sendwell-roles': ['admin', ...(route.roles ?? [])],
          }
        : { security: [] }),
      parameters: [...pathParams(route.path), ...queryParams(op.query)],
      ...(op.body ? { requestBody: { required: true, content: { 'application/json': { schema: toSchema(op.body) } } } } : {}),
      ...(op.rawBody
        ? {
            requestBody: {
              required: true,
              description: op.rawBody.description,
              content: Object.fromEntries(op.rawBody.mediaTypes.map((t) => [t, { schema: { type: 'string' } }])),
            },
          }
        : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info,
    paths,
    components: {
      securitySchemes: {
        sigv4: { type: 'apiKey', name: 'Authorization', in: 'header', description: 'AWS Signature Version 4 (IAM), on AWS.' },
        cognitoIdToken: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'A Cognito ID token of a console user; its groups are the roles.' },
        localAdminKey: { type: 'http', scheme: 'bearer', description: 'The local stack admin key (`.sendwell/admin-key`), or a role key (`.sendwell/role-keys.json`).' },
      },
    },
  };
}
