/**
 * Builds the OpenAPI 3.1 document from the route table and the zod schemas (zod 4 emits JSON Schema 2020-12).
 *
 * Every schema named with `.meta({ id })` becomes `#/components/schemas/<id>` and is referenced from there: zod puts
 * named schemas in a `$defs` of each emitted schema, which OpenAPI tools resolve against the document root, so the
 * generator hoists them. Two different shapes under one name fail the build (a name means one shape).
 */
import * as z from 'zod';
import type { RouteDef } from '../wiring/routes.ts';
import { ErrorResponseSchema } from './common.ts';
import type { OperationResponse, OperationSchemas } from './operations.ts';

type JsonSchema = Record<string, unknown>;

const COMPONENT_PREFIX = '#/components/schemas/';

/** Rewrites every `#/$defs/X` reference to `#/components/schemas/X`, deeply. */
function rewriteRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rewriteRefs);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as JsonSchema).map(([k, v]) => [k, k === '$ref' && typeof v === 'string' ? v.replace(/^#\/\$defs\//, COMPONENT_PREFIX) : rewriteRefs(v)]),
    );
  }
  return value;
}

/** Collects named schemas as components while emitting each operation's schemas. */
class Components {
  readonly schemas: Record<string, JsonSchema> = {};

  toSchema(schema: z.ZodType): JsonSchema {
    const { $schema: _ignored, $defs, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema & { $defs?: Record<string, JsonSchema> };
    for (const [id, def] of Object.entries($defs ?? {})) this.#add(id, rewriteRefs(def) as JsonSchema);
    return rewriteRefs(rest) as JsonSchema;
  }

  /** A schema that is only a reference to a component: that component (query and path parameters need the properties). */
  resolve(schema: JsonSchema): JsonSchema {
    const ref = schema.$ref;
    return typeof ref === 'string' && ref.startsWith(COMPONENT_PREFIX) ? (this.schemas[ref.slice(COMPONENT_PREFIX.length)] ?? schema) : schema;
  }

  #add(id: string, def: JsonSchema) {
    const known = this.schemas[id];
    if (known && JSON.stringify(known) !== JSON.stringify(def)) throw new Error(`OpenAPI: two different schemas are named ${id}`);
    this.schemas[id] = def;
  }
}

const pathParams = (path: string, components: Components, schema: z.ZodType | undefined) => {
  const js = schema ? (components.resolve(components.toSchema(schema)) as { properties?: Record<string, JsonSchema> }) : {};
  return [...path.matchAll(/\{(\w+)\+?\}/g)].map((m) => ({
    name: m[1]!,
    in: 'path',
    required: true,
    schema: js.properties?.[m[1]!] ?? { type: 'string' },
  }));
};

const queryParams = (schema: z.ZodType | undefined, components: Components) => {
  if (!schema) return [];
  const js = components.resolve(components.toSchema(schema)) as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(js.properties ?? {}).map(([name, s]) => {
    const { description, ...rest } = s as { description?: string };
    return {
      name,
      in: 'query',
      required: js.required?.includes(name) ?? false,
      ...(description ? { description } : {}),
      schema: rest,
    };
  });
};

export function buildOpenApi(
  routes: readonly RouteDef[],
  operations: Readonly<Record<string, OperationSchemas>>,
  info: { title: string; version: string; description?: string },
) {
  const components = new Components();
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const op = operations[route.operationId];
    if (!op) throw new Error(`No schemas for operation ${route.operationId}`);
    // Every admin route checks its caller's roles (lambdas/handlers/middleware/authorize.ts).
    const responses = Object.fromEntries(
      Object.entries({ ...edgeErrors(route, op), ...op.responses }).map(([status, r]) => [
        status,
        {
          description: r.description,
          ...(r.headers ? { headers: r.headers } : {}),
          ...(r.schema ? { content: { [r.mediaType ?? 'application/json']: { schema: components.toSchema(r.schema) } } } : {}),
          ...(!r.schema && r.mediaType ? { content: { [r.mediaType]: {} } } : {}),
        },
      ]),
    );
    (paths[route.path] ??= {})[route.method.toLowerCase()] = {
      operationId: route.operationId,
      summary: route.summary,
      tags: [tagOf(route.path)],
      ...(route.auth === 'admin'
        ? {
            security: [{ sigv4: [] }, { cognitoIdToken: [] }, { localAdminKey: [] }],
            // Who may call it: `admin` (every SigV4 caller) and these Cognito groups.
            'x-sendwell-roles': ['admin', ...(route.roles ?? [])],
          }
        : { security: [] }),
      parameters: [...pathParams(route.path, components, op.params), ...queryParams(op.query, components)],
      ...(op.body ? { requestBody: { required: op.bodyRequired ?? true, content: { 'application/json': { schema: components.toSchema(op.body) } } } } : {}),
      ...(op.rawBody
        ? {
            requestBody: {
              required: true,
              description: op.rawBody.description,
              content: {
                ...Object.fromEntries(op.rawBody.mediaTypes.map((t) => [t, { schema: { type: 'string' } }])),
                ...(op.rawBody.json ? { 'application/json': { schema: components.toSchema(op.rawBody.json) } } : {}),
              },
            },
          }
        : {}),
      responses,
    };
  }
  const tags = [...new Set(routes.map((r) => tagOf(r.path)))].sort().map((name) => ({ name, description: TAGS[name] ?? name }));
  return {
    openapi: '3.1.0',
    info: {
      ...info,
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    servers: [{ url: 'http://127.0.0.1:3000', description: 'The local stack (`npm start`); on AWS the HTTP API endpoint of the stage' }],
    tags,
    paths,
    components: {
      schemas: Object.fromEntries(Object.entries(components.schemas).sort(([a], [b]) => a.localeCompare(b))),
      securitySchemes: {
        sigv4: { type: 'apiKey', name: 'Authorization', in: 'header', description: 'AWS Signature Version 4 (IAM), on AWS.' },
        cognitoIdToken: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'A Cognito ID token of a console user; its groups are the roles.' },
        localAdminKey: { type: 'http', scheme: 'bearer', description: 'The local stack admin key (`.sendwell/admin-key`), or a role key (`.sendwell/role-keys.json`).' },
      },
    },
  };
}

const edgeError = (description: string): OperationResponse => ({ description, schema: ErrorResponseSchema });

/**
 * The answers the HTTP edge gives before an operation runs (lambdas/handlers/middleware/http.ts), declared on every
 * operation where they can occur; an operation's own entry of the same status wins (its description is sharper).
 */
function edgeErrors(route: RouteDef, op: OperationSchemas): Record<number, OperationResponse> {
  if (route.auth !== 'admin') return {};
  const takesBody = Boolean(op.body || op.rawBody);
  const out: Record<number, OperationResponse> = {};
  if (takesBody || op.query || op.params) out[400] = edgeError('The request is not valid; `details` names each field (`body.x`, `query.x`, `path.x`)');
  out[401] = edgeError('Missing or wrong credentials');
  if (!route.self) out[403] = edgeError('The caller has none of the roles in `x-sendwell-roles`');
  // Every write is conditional somewhere: one that loses a race with another request on the same record is a 409.
  if (route.method !== 'GET') out[409] = edgeError('Conflicts with what is stored, or another request changed the same record at the same time; read it again');
  if (takesBody) {
    out[413] = edgeError('The body is larger than this route takes (see the limits in docs/api.md)');
    out[415] = edgeError('The body is not of a media type this route takes');
  }
  return out;
}

const TAGS: Record<string, string> = {
  health: 'Whether the dependencies answer',
  meta: 'The caller and this document',
  topics: 'Marketing topics',
  templates: 'Mail templates',
  recipients: 'Recipients, consent, the ledger, privacy rights',
  imports: 'Import jobs: large files in chunks, with a per-row report',
  suppressions: 'Suppressed addresses',
  messages: 'Transactional send and message records',
  campaigns: 'Campaigns: lifecycle, progress, previews',
  metrics: 'Figures, feedback and the marketing switch',
  pages: 'Recipient pages (no login; a signed token is the key) and the ops page',
  journeys: 'Journeys: triggered sequences of sends, waits and branches, with figures per step',
  events: 'Events about recipients: they start and end journeys',
};

function tagOf(path: string): string {
  const first = path.split('/').filter(Boolean);
  if (first[0] !== 'v1') return first[0] === 'health' ? 'health' : 'pages';
  const noun = first[1] ?? '';
  if (noun === 'me' || noun === 'openapi.json') return 'meta';
  if (noun === 'feedback' || noun === 'marketing') return 'metrics';
  return noun;
}
