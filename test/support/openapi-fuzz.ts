/**
 * Requests generated from an OpenAPI document with fast-check: for each operation, path and query parameters and a
 * body drawn from its schemas — valid ones, each with one mutation (a field missing, of the wrong type, unknown,
 * too long, an integer beyond 2^53, nested too deep), and plain garbage (not JSON, the wrong media type, bytes that
 * are not UTF-8, foreign cursors). Known ids of the run are mixed into path parameters so the handlers get past
 * "not found" often enough to reach the stores.
 */
import fc from 'fast-check';

export type JsonSchema = Record<string, any>;

export interface FuzzRequest {
  readonly operationId: string;
  readonly method: string;
  readonly path: string;
  readonly contentType?: string;
  readonly body?: string | Uint8Array;
  /** Who calls: the admin (most requests), a role, or nobody (no key). */
  readonly as: 'admin' | 'marketing' | 'ops' | 'privacy' | 'none';
  readonly kind: 'valid' | 'mutated' | 'garbage';
}

export interface Operation {
  readonly operationId: string;
  readonly method: string;
  readonly path: string;
  readonly parameters: ReadonlyArray<{ name: string; in: 'path' | 'query'; required?: boolean; schema: JsonSchema }>;
  readonly bodySchema?: JsonSchema;
  readonly rawTypes?: readonly string[];
  /** Only invalid bodies are sent (operations whose valid call changes the whole stage, e.g. pausing marketing). */
  readonly invalidOnly: boolean;
}

const STRING_CAP = 40;

const garbageString = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.constantFrom('', ' ', '../../etc/passwd', '%00', '%FF', '\u0000', '<script>', "' OR 1=1 --", 'null', '[]', '{}', '1e400', '-1', '9007199254740993', 'ü', '🙂', 'a'.repeat(3000)),
);

function resolve(schema: JsonSchema, doc: JsonSchema): JsonSchema {
  let s = schema;
  for (let i = 0; i < 10 && typeof s?.$ref === 'string'; i++) {
    const name = s.$ref.replace('#/components/schemas/', '');
    s = { ...doc.components.schemas[name], ...Object.fromEntries(Object.entries(s).filter(([k]) => k !== '$ref')) };
  }
  return s;
}

const DATE_TIMES = fc.date({ min: new Date('2020-01-01'), max: new Date('2035-01-01'), noInvalidDate: true }).map((d) => d.toISOString());

function stringArb(s: JsonSchema): fc.Arbitrary<string> {
  if (s.format === 'date-time') return DATE_TIMES;
  if (s.format === 'ipv4') return fc.ipV4();
  if (s.format === 'ipv6') return fc.ipV6();
  if (s.format === 'email') return fc.emailAddress();
  const min = s.minLength ?? 0;
  const max = Math.max(min, Math.min(s.maxLength ?? STRING_CAP, STRING_CAP));
  if (typeof s.pattern === 'string') {
    try {
      const re = new RegExp(s.pattern);
      return fc.stringMatching(re).filter((x) => x.length >= min && x.length <= (s.maxLength ?? Infinity));
    } catch {
      /* a pattern JS cannot read: plain strings */
    }
  }
  return fc.string({ minLength: min, maxLength: max });
}

/** Values valid for `schema` (as far as JSON Schema says; refinements in code may still refuse them). */
export function valueArb(schema: JsonSchema, doc: JsonSchema, depth = 0, hints: Readonly<Record<string, fc.Arbitrary<unknown>>> = {}): fc.Arbitrary<unknown> {
  const s = resolve(schema, doc);
  if ('const' in s) return fc.constant(s.const);
  if (Array.isArray(s.enum)) return fc.constantFrom(...s.enum);
  const alts = s.anyOf ?? s.oneOf;
  if (Array.isArray(alts)) return fc.oneof(...alts.map((a: JsonSchema) => valueArb(a, doc, depth + 1, hints)));
  if (Array.isArray(s.allOf) && s.allOf.length) return valueArb(s.allOf[0], doc, depth + 1, hints);
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  switch (type) {
    case 'string':
      return stringArb(s);
    case 'integer': {
      const min = s.minimum ?? (s.exclusiveMinimum !== undefined ? s.exclusiveMinimum + 1 : -1000);
      const max = s.maximum ?? (s.exclusiveMaximum !== undefined ? s.exclusiveMaximum - 1 : 1_000_000);
      return fc.integer({ min: Math.max(min, Number.MIN_SAFE_INTEGER), max: Math.min(max, Number.MAX_SAFE_INTEGER) });
    }
    case 'number': {
      const min = s.minimum ?? s.exclusiveMinimum ?? -1000;
      const max = s.maximum ?? s.exclusiveMaximum ?? 1_000_000;
      return fc.double({ min, max, noNaN: true, noDefaultInfinity: true, minExcluded: s.exclusiveMinimum !== undefined, maxExcluded: s.exclusiveMaximum !== undefined });
    }
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array': {
      if (depth > 6) return fc.constant([]);
      const item = s.items ? valueArb(s.items, doc, depth + 1, hints) : fc.jsonValue({ maxDepth: 2 });
      return fc.array(item, { minLength: s.minItems ?? 0, maxLength: Math.min(s.maxItems ?? 4, 4) });
    }
    case 'object': {
      if (depth > 6) return fc.constant({});
      const props: Record<string, JsonSchema> = s.properties ?? {};
      const required = new Set<string>(s.required ?? []);
      const record: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [name, p] of Object.entries(props)) record[name] = hints[name] && Math.random() < 0.9 ? hints[name]! : valueArb(p, doc, depth + 1, hints);
      if (Object.keys(props).length) {
        return fc.record(record, { requiredKeys: [...required].filter((k) => k in record) });
      }
      if (s.additionalProperties && typeof s.additionalProperties === 'object') {
        const keyArb = s.propertyNames ? (valueArb(s.propertyNames, doc, depth + 1) as fc.Arbitrary<string>) : fc.stringMatching(/^[a-z_][a-z0-9_]{0,10}$/);
        return fc.dictionary(keyArb, valueArb(s.additionalProperties, doc, depth + 1, hints), { maxKeys: 3 });
      }
      return fc.dictionary(fc.stringMatching(/^[a-z_][a-z0-9_]{0,10}$/), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 });
    }
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

const nest = (v: unknown, levels: number): unknown => {
  let out = v;
  for (let i = 0; i < levels; i++) out = i % 2 ? { x: out } : [out];
  return out;
};

/** One mutation of a valid body: what an integrator gets wrong, and what a hostile one sends. */
const mutate = (value: unknown): fc.Arbitrary<unknown> => {
  const obj = value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  const keys = obj ? Object.keys(obj) : [];
  const pick = keys.length ? fc.constantFrom(...keys) : fc.constant('field');
  return fc.oneof(
    pick.map((k) => (obj ? Object.fromEntries(Object.entries(obj).filter(([x]) => x !== k)) : {})),
    fc.tuple(pick, fc.oneof(fc.constant(null), fc.integer(), fc.string({ maxLength: 5 }), fc.boolean(), fc.constant([]), fc.constant({}))).map(([k, bad]) => ({ ...obj, [k]: bad })),
    fc.tuple(fc.stringMatching(/^[a-zA-Z]{1,12}$/), fc.jsonValue({ maxDepth: 1 })).map(([k, v]) => ({ ...obj, [k]: v })),
    pick.map((k) => ({ ...obj, [k]: 'x'.repeat(5000) })),
    fc.tuple(pick, fc.constantFrom(12345678901234567, -9007199254740993, 1e300, 2 ** 64)).map(([k, n]) => ({ ...obj, [k]: n })),
    fc.tuple(pick, fc.integer({ min: 30, max: 2000 })).map(([k, d]) => ({ ...obj, [k]: nest(1, d) })),
    fc.constantFrom(null, [], 'text', 42, true, [value]),
  );
};

/** Whole-body garbage: not JSON, the wrong media type, bytes that are not UTF-8, nothing at all. */
const garbageBody: fc.Arbitrary<{ contentType?: string; body?: string | Uint8Array }> = fc.oneof(
  fc.record({ contentType: fc.constant('application/json'), body: fc.oneof(fc.string({ maxLength: 50 }), fc.constantFrom('{', '{"a":', '[1,2', '{"a":1}}', 'NaN', '\uFEFF{}', '{"__proto__":{"x":1}}')) }),
  fc.record({ contentType: fc.constantFrom('text/plain', 'application/xml', 'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded', 'application/json; charset=latin1'), body: fc.string({ maxLength: 40 }) }),
  fc.record({ contentType: fc.constant('application/json'), body: fc.uint8Array({ minLength: 1, maxLength: 40 }) }),
  fc.record({ contentType: fc.constantFrom('application/json', 'text/csv', 'application/x-ndjson') }),
  fc.constant({}),
);

/** Import files: small CSV and JSON-lines texts, some valid, some broken. */
const importBody: fc.Arbitrary<{ contentType?: string; body?: string | Uint8Array }> = fc.oneof(
  fc.record({
    contentType: fc.constant('text/csv'),
    body: fc.array(fc.tuple(fc.emailAddress(), fc.constantFrom('US', 'DE', 'xx', ''), fc.string({ maxLength: 8 })), { maxLength: 4 }).map(
      (rows) => `email,country,plan\n${rows.map((r) => r.join(',')).join('\n')}\n`,
    ),
  }),
  fc.record({ contentType: fc.constantFrom('text/csv', 'application/x-ndjson'), body: fc.string({ maxLength: 200 }) }),
  fc.record({
    contentType: fc.constant('application/x-ndjson'),
    body: fc.array(fc.oneof(fc.record({ email: fc.emailAddress(), attributes: fc.dictionary(fc.stringMatching(/^[a-z]{1,5}$/), fc.oneof(fc.integer(), fc.constant(12345678901234567), fc.string({ maxLength: 5 })), { maxKeys: 2 }) }), fc.jsonValue({ maxDepth: 3 })), { maxLength: 4 }).map((rows) => rows.map((r) => JSON.stringify(r)).join('\n')),
  }),
  fc.record({ contentType: fc.constant('text/csv'), body: fc.uint8Array({ maxLength: 60 }) }),
);

const INVALID_ONLY_BODIES = ['{"reason":1}', '{}', '{"reason":"x"}', '{"reason":null,"x":1}', `{"reason":"${'x'.repeat(501)}"}`, '[]'];

const encode = (v: unknown): string => {
  const text = JSON.stringify(v);
  return text === undefined ? '' : text;
};

/** Every operation of the document that the fuzz calls, with what it takes. */
export function operationsOf(doc: JsonSchema, invalidOnly: ReadonlySet<string>): Operation[] {
  const ops: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths as Record<string, Record<string, any>>)) {
    for (const [method, op] of Object.entries(item)) {
      const content = op.requestBody?.content ?? {};
      const jsonSchema = content['application/json']?.schema;
      const raw = Object.keys(content).filter((t) => t !== 'application/json');
      ops.push({
        operationId: op.operationId,
        method: method.toUpperCase(),
        path,
        parameters: op.parameters ?? [],
        ...(jsonSchema ? { bodySchema: jsonSchema } : {}),
        ...(raw.length ? { rawTypes: raw } : {}),
        invalidOnly: invalidOnly.has(op.operationId),
      });
    }
  }
  return ops;
}

/** Requests for one operation; `ids` are known ids by path parameter (`/v1/campaigns/{id}` → campaign ids). */
export function requestArb(op: Operation, doc: JsonSchema, ids: (op: Operation, param: string) => readonly string[], hints: Readonly<Record<string, fc.Arbitrary<unknown>>>): fc.Arbitrary<FuzzRequest> {
  const pathParams = op.parameters.filter((p) => p.in === 'path');
  const queryParams = op.parameters.filter((p) => p.in === 'query');
  const pathArb = fc
    .tuple(
      ...pathParams.map((p) => {
        const known = ids(op, p.name);
        return fc.oneof(
          { weight: known.length ? 6 : 0, arbitrary: known.length ? fc.constantFrom(...known) : fc.constant('x') },
          { weight: 2, arbitrary: valueArb(p.schema, doc) as fc.Arbitrary<string> },
          { weight: 2, arbitrary: garbageString },
        );
      }),
    )
    .map((values) => {
      let path = op.path;
      pathParams.forEach((p, i) => {
        const v = String(values[i] ?? '');
        path = path.replace(`{${p.name}}`, v === '' ? '' : encodeURIComponent(v));
      });
      return path;
    });
  const queryArb = fc
    .tuple(
      ...queryParams.map((p) =>
        fc.oneof(
          { weight: 3, arbitrary: valueArb(p.schema, doc, 0, hints).map((v) => String(v)) },
          { weight: p.required ? 1 : 3, arbitrary: fc.constant(undefined) },
          { weight: 2, arbitrary: garbageString },
          { weight: p.name === 'cursor' ? 3 : 0, arbitrary: fc.constantFrom('eyJwayI6IkMjY21wXzEiLCJzayI6IkNBTVBBSUdOIn0', Buffer.from('{"v":1,"l":"ledger","k":{"sk":"x"}}').toString('base64url'), 'AAAA', '=') },
        ),
      ),
    )
    .map((values) => {
      const q = new URLSearchParams();
      queryParams.forEach((p, i) => {
        if (values[i] !== undefined) q.set(p.name, values[i]!);
      });
      const s = q.toString();
      return s ? `?${s}` : '';
    });
  const validBody = op.bodySchema ? valueArb(op.bodySchema, doc, 0, hints) : fc.constant(undefined);
  const bodyArb: fc.Arbitrary<{ kind: FuzzRequest['kind']; contentType?: string; body?: string | Uint8Array }> = op.rawTypes
    ? fc.oneof(importBody.map((b) => ({ kind: 'valid' as const, ...b })), garbageBody.map((b) => ({ kind: 'garbage' as const, ...b })))
    : op.bodySchema
      ? fc.oneof(
          { weight: op.invalidOnly ? 0 : 5, arbitrary: validBody.map((v) => ({ kind: 'valid' as const, contentType: 'application/json', body: encode(v) })) },
          { weight: 4, arbitrary: validBody.chain(mutate).map((v) => ({ kind: 'mutated' as const, contentType: 'application/json', body: encode(v) })) },
          { weight: 2, arbitrary: garbageBody.map((b) => ({ kind: 'garbage' as const, ...b })) },
        )
      : fc.oneof({ weight: 8, arbitrary: fc.constant({ kind: 'valid' as const }) }, { weight: 1, arbitrary: garbageBody.map((b) => ({ kind: 'garbage' as const, ...b })) });
  const asArb = fc.oneof(
    { weight: 16, arbitrary: fc.constant('admin' as const) },
    { weight: 1, arbitrary: fc.constantFrom('marketing' as const, 'ops' as const, 'privacy' as const, 'none' as const) },
  );
  return fc.record({ path: pathArb, query: queryArb, body: bodyArb, as: asArb }).map(({ path, query, body, as }) => {
    // An invalid-only operation gets garbage or a body its schema refuses, never one a mutation left valid.
    const safe = op.invalidOnly && body.kind !== 'garbage' ? { kind: 'mutated' as const, contentType: 'application/json', body: INVALID_ONLY_BODIES[path.length % INVALID_ONLY_BODIES.length]! } : body;
    return {
      operationId: op.operationId,
      method: op.method,
      path: `${path}${query}`,
      as,
      kind: safe.kind,
      ...(safe.contentType ? { contentType: safe.contentType } : {}),
      ...(safe.body !== undefined ? { body: safe.body } : {}),
    };
  });
}
