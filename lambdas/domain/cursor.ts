/**
 * Opaque page cursors. A cursor is what the previous page answered as `next`; a client passes it back unchanged and
 * never reads it. Inside it is a store key, tagged with the list it belongs to and checked against that list's key
 * schema when it comes back: anything not shaped like a key we issue (another list's cursor, a hand-made or
 * truncated one) is a 400 naming `query.cursor`, never a 500 and never a silently empty page.
 *
 * Format: base64url of `{"v":1,"l":"<list>","k":<key>}`. Checked, not signed: a cursor grants nothing — it only says
 * where a listing the caller may read anyway starts — so a well-formed forged one is as good as any.
 */
import { SendwellError } from './errors.ts';

export type CursorList = 'campaigns' | 'ledger' | 'imports' | 'journeys';

const MAX_CURSOR_LENGTH = 1000;

const invalid = (why: string) =>
  new SendwellError('bad_request', 'The cursor is not one this list issued: pass the `next` of the previous page unchanged, or leave it out to start again.', [
    { path: 'query.cursor', message: why },
  ]);

export function encodeCursor(list: CursorList, key: Readonly<Record<string, string>>): string {
  return Buffer.from(JSON.stringify({ v: 1, l: list, k: key })).toString('base64url');
}

/**
 * The key inside `cursor`, if it is a cursor of `list` whose key has exactly `shape`'s fields, each passing its check.
 *
 * @example
 * decodeCursor(encodeCursor('ledger', { sk: '2026-01-01T00:00:00.000Z#000#abcd' }), 'ledger', { sk: (s) => s.includes('#') }) // { sk: '…' }
 * decodeCursor('garbage', 'ledger', { sk: () => true }) // throws bad_request naming query.cursor
 */
export function decodeCursor(cursor: string, list: CursorList, shape: Readonly<Record<string, (value: string) => boolean>>): Record<string, string> {
  if (cursor.length === 0 || cursor.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw invalid('not a cursor (base64url, at most 1000 characters)');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid('not a cursor');
  }
  const c = parsed as { v?: unknown; l?: unknown; k?: unknown };
  if (!c || typeof c !== 'object' || c.v !== 1 || typeof c.k !== 'object' || c.k === null || Array.isArray(c.k)) throw invalid('not a cursor');
  if (c.l !== list) throw invalid(`a cursor of another list (${typeof c.l === 'string' ? c.l.slice(0, 20) : '?'})`);
  const key = c.k as Record<string, unknown>;
  const fields = Object.keys(shape);
  if (Object.keys(key).length !== fields.length) throw invalid('not a key of this list');
  for (const f of fields) {
    const value = key[f];
    if (typeof value !== 'string' || !shape[f]!(value)) throw invalid('not a key of this list');
  }
  return key as Record<string, string>;
}
