/**
 * The contract check: every response a test receives from the local gateway is validated against what the served
 * OpenAPI document declares for its route and status (Ajv, JSON Schema 2020-12 as OpenAPI 3.1 uses it). A status
 * the operation does not declare, or a JSON body that does not match its schema, is a mismatch and fails the call.
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ValidateFunction } from 'ajv';
import { buildOpenApi } from '../../lambdas/schemas/openapi.ts';
import { OPERATIONS } from '../../lambdas/schemas/operations.ts';
import { answersHead, ROUTES, routeKey, type RouteDef } from '../../lambdas/wiring/routes.ts';
import { createRouter } from '../../lambdas/wiring/route-match.ts';

type Doc = ReturnType<typeof buildOpenApi>;

export const OPENAPI: Doc = buildOpenApi(ROUTES, OPERATIONS, { title: 'Sendwell admin API', version: '1' });

const DOC_ID = 'https://sendwell.invalid/openapi.json';
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/i;

function makeAjv(doc: Doc) {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  ajv.addFormat('date-time', DATE_TIME);
  ajv.addFormat('ipv4', /^(?:\d{1,3}\.){3}\d{1,3}$/);
  ajv.addFormat('ipv6', /^[0-9a-f:.]+$/i);
  ajv.addFormat('email', /^[^\s@]+@[^\s@]+$/);
  ajv.addSchema({ $id: DOC_ID, components: doc.components }, DOC_ID);
  return ajv;
}

export interface ContractProblem {
  readonly route: string;
  readonly status: number;
  readonly problem: string;
}

/** Checks responses against `doc` (the served document, or the one built here). */
export function contractChecker(doc: Doc = OPENAPI, routes: readonly RouteDef[] = ROUTES) {
  const ajv = makeAjv(doc);
  const match = createRouter(routes);
  const errorValidator = ajv.compile({ $ref: `${DOC_ID}#/components/schemas/Error` });
  const bySchema = new Map<string, ValidateFunction>();
  const compile = (path: string, method: string, status: string, schema: unknown): ValidateFunction => {
    const key = `${method} ${path} ${status}`;
    const known = bySchema.get(key);
    if (known) return known;
    const rewritten = JSON.parse(JSON.stringify(schema).replaceAll('"#/components/schemas/', `"${DOC_ID}#/components/schemas/`)) as object;
    const v = ajv.compile(rewritten);
    bySchema.set(key, v);
    return v;
  };

  /** Problems with one response (empty: it matches the contract). `body` is the text received. */
  return function check(method: string, pathname: string, status: number, contentType: string | null, body: string): ContractProblem[] {
    // A HEAD is its GET route's only where that route takes HEAD (routes.ts answersHead); elsewhere it is no route's.
    const asGet = method === 'HEAD' ? match('GET', pathname) : undefined;
    const found = method === 'HEAD' ? (asGet && answersHead(asGet.route) ? asGet : undefined) : match(method, pathname);
    const label = found ? routeKey(found.route) : `${method} ${pathname} (no route)`;
    const problem = (p: string): ContractProblem[] => [{ route: label, status, problem: p }];
    const isJson = /^application\/(?:[\w.+-]+\+)?json/i.test(contentType ?? '');
    if (!found) {
      // No route: the gateway (the `$default` route on AWS) answers 404/405 in the error shape.
      if (status !== 404 && status !== 405 && status !== 401) return problem('a request of no route must be answered 404 or 405');
      if (!isJson) return problem('not JSON');
      if (method === 'HEAD') return []; // no body to read
      return errorValidator(JSON.parse(body)) ? [] : problem(ajv.errorsText(errorValidator.errors));
    }
    const op = (doc.paths as Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema?: unknown }> }> }>>)[found.route.path]?.[
      found.route.method.toLowerCase()
    ];
    if (!op) return problem('the route is not in the document');
    const declared = op.responses[String(status)];
    if (!declared) return problem(`status ${status} is not declared (declared: ${Object.keys(op.responses).join(', ')})`);
    if (method === 'HEAD') return [];
    const content = declared.content ?? {};
    const jsonEntry = Object.entries(content).find(([t]) => /json/.test(t));
    if (jsonEntry) {
      if (!isJson) return problem(`declared as ${jsonEntry[0]}, answered ${contentType ?? 'without a content type'}`);
      const schema = jsonEntry[1].schema;
      if (!schema) return [];
      let value: unknown;
      try {
        value = JSON.parse(body);
      } catch {
        return problem('the body is not JSON');
      }
      const validate = compile(found.route.path, found.route.method, String(status), schema);
      return validate(value) ? [] : problem(`${ajv.errorsText(validate.errors, { separator: '; ' })} — body ${body.slice(0, 300)}`);
    }
    const types = Object.keys(content);
    if (types.length && !types.some((t) => (contentType ?? '').startsWith(t))) return problem(`declared as ${types.join(' or ')}, answered ${contentType}`);
    return [];
  };
}

