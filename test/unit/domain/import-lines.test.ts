import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { capReport, entryBytes, fileRecords, type ReportEntry } from '../../../lambdas/domain/import-lines.ts';
import { parseCsv } from '../../../lambdas/domain/text-file.ts';

const entry = fc.record({ line: fc.integer({ min: 1, max: 1_000_000 }), kind: fc.constantFrom('rejected' as const, 'warning' as const), reason: fc.string({ maxLength: 300 }) });
const bytes = (entries: readonly ReportEntry[]) => entries.reduce((n, e) => n + entryBytes(e), 0);

describe('capReport', () => {
  it('keeps a report that fits as it is', () => {
    const entries: ReportEntry[] = [{ line: 3, kind: 'warning', reason: 'w' }, { line: 2, kind: 'rejected', reason: 'r' }];
    expect(capReport(entries, 10_000)).toEqual(entries);
  });

  it('keeps rejections first and counts what it leaves out in one entry', () => {
    const warnings = Array.from({ length: 10 }, (_, i): ReportEntry => ({ line: 2 + i, kind: 'warning', reason: 'w'.repeat(300) }));
    const rejected: ReportEntry = { line: 11, kind: 'rejected', reason: 'email: not valid' };
    const out = capReport([...warnings, rejected], 1_500);
    expect(out[0]).toEqual(rejected);
    expect(out.slice(1, -1)).toEqual(warnings.slice(0, out.length - 2));
    expect(out.at(-1)).toEqual({ line: 2 + out.length - 2, kind: 'warning', reason: expect.stringMatching(new RegExp(`^…and ${12 - out.length} more entries \\(${12 - out.length} warnings, lines ${out.length}–11\\) not kept`)) });
  });

  it('never exceeds its budget, and every entry is kept or counted', () => {
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 400 }), fc.integer({ min: 1_000, max: 60_000 }), (entries, budget) => {
        const out = capReport(entries, budget);
        expect(bytes(out)).toBeLessThanOrEqual(budget);
        const summary = out.at(-1)?.reason.match(/^…and (\d+) more entr/);
        expect(out.length - (summary ? 1 : 0) + Number(summary?.[1] ?? 0)).toBe(entries.length);
      }),
      { numRuns: 300 },
    );
  });
});

describe('fileRecords', () => {
  const ends = fc.constantFrom('\n', '\r\n', '\r');
  const cell = fc.oneof(fc.stringMatching(/^[a-z@.]{1,6}$/), fc.constant('"two\nlines"'), fc.constant('"two\rlines"'), fc.constant('"a,""b"""'));

  it('splits CSV rows as the API parser does, at LF, CRLF or a lone CR, whichever the file uses', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constant(''), fc.array(cell, { minLength: 1, maxLength: 3 }).map((c) => c.join(','))), { maxLength: 30 }), ends, (rows, end) => {
        const text = rows.join(end);
        const records = fileRecords(text, 'csv');
        // Each record starts on the line the server gives its row, and is that row alone.
        const served = parseCsv(text, ',');
        expect(records.map((r) => r.line)).toEqual(served.map((r) => r.line));
        expect(records.map((r) => parseCsv(r.text, ',')[0])).toEqual(served.map((r) => ({ ...r, line: 1 })));
      }),
    );
  });

  it('splits JSON lines at any of the three line ends, skipping blank lines, each with its line', () => {
    expect(fileRecords('{"a":1}\r\r{"b":2}\r\n \n{"c":3}', 'jsonl')).toEqual([
      { text: '{"a":1}', line: 1 },
      { text: '{"b":2}', line: 3 },
      { text: '{"c":3}', line: 5 },
    ]);
  });
});
