/**
 * The one JSON reading step of the admin API: every JSON body (and every JSON-lines import row) is parsed here, with
 * the same limits, before any schema sees it. What breaks a limit is refused with the field named, never a 500.
 *
 * The number rule: an integer outside ±(2^53 − 1) is **refused** (`details[].path` names it), as are numbers that do
 * not fit a double (`1e400`). JavaScript, DynamoDB's document client and most JSON clients cannot keep such an
 * integer exactly, and Sendwell will not store a value other than the one sent: send it as a string
 * (`"loyaltyId": "12345678901234567"`) to keep every digit. Fractions are kept as doubles; a non-zero number closer
 * to 0 than 1e-130 (below what DynamoDB stores) is refused the same way.
 */
import { SendwellError, type ErrorDetail } from './errors.ts';

export interface JsonLimits {
  /** Bytes of the UTF-8 body. @default 1_048_576 (1 MiB) */
  readonly maxBytes: number;
  /** Nesting of objects and arrays; the body itself is depth 1. @default 32 */
  readonly maxDepth: number;
  /** Characters of any string value. @default 400_000 (the largest field, a template part) */
  readonly maxStringLength: number;
  /** Characters of an object key. @default 256 */
  readonly maxKeyLength: number;
  /** Members of one object or elements of one array. @default 10_000 */
  readonly maxMembers: number;
}

export const JSON_LIMITS: JsonLimits = {
  maxBytes: 1_048_576,
  maxDepth: 32,
  maxStringLength: 400_000,
  maxKeyLength: 256,
  maxMembers: 10_000,
};

/** `body.to.email`, `body.items[3]` — how an error names a place in the body. */
const pathOf = (parent: string, key: string | number): string =>
  typeof key === 'number' ? `${parent}[${key}]` : /^[A-Za-z_$][\w$-]*$/.test(key) ? (parent ? `${parent}.${key}` : key) : `${parent}[${JSON.stringify(key)}]`;

/**
 * Parses `text` as JSON within `limits` and checks every value against them. `where` names the whole text in
 * messages (`body`, `line 12`); a field is named by its path from the top, as zod names them (`a.b`, `to.email`).
 *
 * @example
 * readJson('{"a":{"b":12345678901234567}}') // throws validation_failed, details [{path: 'a.b', message: '… send it as a string …'}]
 */
export function readJson(text: string, limits: JsonLimits = JSON_LIMITS, where = 'body'): unknown {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > limits.maxBytes) {
    throw new SendwellError('payload_too_large', `The ${where} is ${bytes} bytes; at most ${limits.maxBytes} are taken.`, [{ path: where, message: `at most ${limits.maxBytes} bytes` }]);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new SendwellError('bad_request', `The ${where} is not valid JSON.`, [{ path: where, message: (e as Error).message }]);
  }
  const problems = checkJson(value, limits, where);
  if (problems.length) throw new SendwellError('validation_failed', `The ${where} breaks the JSON limits of this API.`, problems);
  return value;
}

/** Every place in `value` that breaks `limits` (at most 20), walked without recursion so depth cannot overflow. */
export function checkJson(value: unknown, limits: JsonLimits = JSON_LIMITS, where = 'body'): ErrorDetail[] {
  const problems: ErrorDetail[] = [];
  // `path` '' is the whole text: named by `where`.
  const stack: Array<{ v: unknown; path: string; depth: number }> = [{ v: value, path: '', depth: 0 }];
  const name = (path: string) => path || where;
  while (stack.length && problems.length < 20) {
    const { v, path, depth } = stack.pop()!;
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) problems.push({ path: name(path), message: 'a number too large for a double; send it as a string' });
      else if (Number.isInteger(v) && !Number.isSafeInteger(v)) {
        problems.push({ path: name(path), message: 'an integer beyond ±9007199254740991 cannot be kept exactly; send it as a string' });
      } else if (v !== 0 && Math.abs(v) < 1e-130) {
        // DynamoDB stores numbers down to 1E-130 in magnitude; below that it refuses the whole item.
        problems.push({ path: name(path), message: 'a number this close to 0 (below 1e-130) cannot be stored; send 0 or a string' });
      }
    } else if (typeof v === 'string') {
      if (v.length > limits.maxStringLength) problems.push({ path: name(path), message: `a string of at most ${limits.maxStringLength} characters` });
    } else if (v !== null && typeof v === 'object') {
      if (depth + 1 > limits.maxDepth) {
        problems.push({ path: name(path), message: `nested deeper than ${limits.maxDepth} levels` });
        continue;
      }
      const entries: Array<[string | number, unknown]> = Array.isArray(v) ? v.map((x, i) => [i, x]) : Object.entries(v);
      if (entries.length > limits.maxMembers) {
        problems.push({ path: name(path), message: `at most ${limits.maxMembers} ${Array.isArray(v) ? 'elements' : 'members'}` });
        continue;
      }
      for (let i = entries.length - 1; i >= 0; i--) {
        const [k, x] = entries[i]!;
        if (typeof k === 'string' && k.length > limits.maxKeyLength) {
          problems.push({ path: pathOf(path, k.slice(0, 40)), message: `a key of at most ${limits.maxKeyLength} characters` });
          continue;
        }
        stack.push({ v: x, path: pathOf(path, k), depth: depth + 1 });
      }
    }
  }
  return problems;
}
