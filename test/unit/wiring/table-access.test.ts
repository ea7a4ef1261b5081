/**
 * Least privilege from one declaration: each function's `tables` (lambdas/wiring) is what its IAM policy is generated
 * from (test/cdk/sendwell-stack.test.ts checks the template) and what the local stack enforces
 * (local/table-access-guard.ts). This prints the matrix and holds the public functions to what they may do.
 */
import { describe, expect, it } from 'vitest';
import { EVENT_FUNCTIONS } from '../../../lambdas/wiring/event-functions.ts';
import { FUNCTIONS, ROUTES, type FunctionDef } from '../../../lambdas/wiring/routes.ts';
import { TABLE_VERBS, type TableVerb } from '../../../lambdas/wiring/table-access.ts';
import { TABLES, type TableKey } from '../../../lambdas/wiring/tables.ts';

const DEFS: Record<string, FunctionDef> = { ...FUNCTIONS, ...EVENT_FUNCTIONS };
const TABLE_KEYS = Object.keys(TABLES) as TableKey[];
const verbsOf = (fn: string, table: TableKey): readonly TableVerb[] => DEFS[fn]!.tables?.[table] ?? [];

/** Functions anyone on the internet can invoke: those behind a public route, and the mailto function (any sender). */
const PUBLIC = [...new Set([...ROUTES.filter((r) => r.auth === 'public').map((r) => r.fn as string), 'mailtoUnsubscribe'])];
/** The public paths that record a consent change, and so append to the ledger. */
const CONSENT_PAGES = ['unsubscribe', 'preferences', 'confirm', 'mailtoUnsubscribe'];

describe('the table access matrix', () => {
  it('prints every function × table (r read, p put, u update, d delete)', () => {
    const letter: Record<TableVerb, string> = { read: 'r', put: 'p', update: 'u', delete: 'd' };
    const cell = (fn: string, t: TableKey) => TABLE_VERBS.map((v) => (verbsOf(fn, t).includes(v) ? letter[v] : '.')).join('');
    const rows = Object.keys(DEFS).map((fn) => `${fn.padEnd(20)} ${TABLE_KEYS.map((t) => cell(fn, t).padEnd(13)).join('')}${PUBLIC.includes(fn) ? 'public' : ''}`);
    console.log(`${''.padEnd(20)} ${TABLE_KEYS.map((t) => t.padEnd(13)).join('')}\n${rows.join('\n')}`);
    expect(rows).toHaveLength(Object.keys(DEFS).length);
  });

  it('finds public functions to check (the check below is not over nothing)', () => {
    expect(PUBLIC).toEqual(expect.arrayContaining(['unsubscribe', 'preferences', 'confirm', 'openPixel', 'click', 'mailtoUnsubscribe', 'health']));
  });

  it.each(PUBLIC)('%s (public) can delete no item of any table', (fn) => {
    for (const t of TABLE_KEYS) expect(verbsOf(fn, t), t).not.toContain('delete');
  });

  it.each(PUBLIC)('%s (public) writes the ledger only if it records a consent change, and then only appends', (fn) => {
    const ledger = verbsOf(fn, 'ledger');
    if (CONSENT_PAGES.includes(fn)) expect(ledger).toEqual(['put']);
    else expect(ledger).toEqual([]);
  });

  it.each(['openPixel', 'click'])('%s touches no consent, no suppression list, no campaign and no counter: it records on the message', (fn) => {
    expect(verbsOf(fn, 'recipients')).toEqual(['read']);
    // Suppressions never decide tracking (services/tracking.ts); the day's figures come from the messages stream.
    expect(verbsOf(fn, 'suppressions')).toEqual([]);
    expect(verbsOf(fn, 'counters')).toEqual([]);
    expect(verbsOf(fn, 'campaigns')).toEqual([]);
    expect(verbsOf(fn, 'relay')).toEqual([]);
  });

  it('nobody but the admin (erasure) may delete from the ledger, and nobody may update it: it is append-only', () => {
    for (const fn of Object.keys(DEFS)) {
      expect(verbsOf(fn, 'ledger'), fn).not.toContain('update');
      if (fn !== 'admin') expect(verbsOf(fn, 'ledger'), fn).not.toContain('delete');
    }
  });

  it('functions without tables (health, the OpenAPI document, the ops page shell) touch no item', () => {
    for (const fn of ['health', 'openapi', 'opsPage']) expect(DEFS[fn]!.tables ?? {}, fn).toEqual({});
  });
});
