/** Splitting an import into requests, and line numbers of the original text in the combined report. */
import { describe, expect, it } from 'vitest';
import { addReport, chunkImport, emptyReport, guessFormat, originalLine } from '../../../console/src/import-chunks.ts';

describe('import chunks', () => {
  it('repeats the CSV header in every chunk and remembers each row’s line', () => {
    const csv = 'email,country\na@example.com,US\n\nb@example.com,DE\r\nc@example.com,FR\n';
    const chunks = chunkImport(csv, 'csv', 2);
    expect(chunks.map((c) => c.body)).toEqual(['email,country\na@example.com,US\nb@example.com,DE\n', 'email,country\nc@example.com,FR\n']);
    expect(chunks.map((c) => c.lines)).toEqual([[2, 4], [5]]);
  });

  it('keeps a quoted CSV field with a line break in one row', () => {
    const csv = 'email,note\na@example.com,"two\nlines"\nb@example.com,x\n';
    const [chunk] = chunkImport(csv, 'csv', 10);
    expect(chunk!.lines).toEqual([2, 4]);
    expect(chunk!.body).toBe('email,note\na@example.com,"two\nlines"\nb@example.com,x\n');
  });

  it('splits JSON lines without a header and skips blank lines', () => {
    const chunks = chunkImport('{"email":"a@x.com"}\n\n{"email":"b@x.com"}\n{"email":"c@x.com"}', 'jsonl', 2);
    expect(chunks.map((c) => c.lines)).toEqual([[1, 3], [4]]);
  });

  it('reads a lone CR (classic Mac), CRLF and LF alike, in CSV and JSON lines', () => {
    for (const end of ['\r', '\r\n', '\n']) {
      const csv = chunkImport(['email,note', 'a@x.com,"two', 'lines"', '', 'b@x.com,x'].join(end) + end, 'csv', 10);
      expect(csv).toEqual([{ body: `email,note\na@x.com,"two${end}lines"\nb@x.com,x\n`, lines: [2, 5], starts: [2, 4] }]);
      const jsonl = chunkImport(['{"email":"a@x.com"}', '', '{"email":"b@x.com"}'].join(end), 'jsonl', 10);
      expect(jsonl).toEqual([{ body: '{"email":"a@x.com"}\n{"email":"b@x.com"}\n', lines: [1, 3], starts: [1, 2] }]);
    }
  });

  it('maps the API’s line numbers back to the original text and adds the reports up', () => {
    const chunks = chunkImport('email\na@x.com\nbad\nc@x.com\nworse\n', 'csv', 2);
    // The API counts the chunk's header as line 1.
    expect(originalLine(chunks[1]!, 'csv', 3)).toBe(5);
    let total = emptyReport;
    total = addReport(total, chunks[0]!, 'csv', { rows: 2, created: 1, updated: 0, unchanged: 0, rejected: [{ line: 3, reason: 'not an address' }], warnings: [] });
    total = addReport(total, chunks[1]!, 'csv', { rows: 2, created: 1, updated: 0, unchanged: 0, rejected: [{ line: 3, reason: 'not an address' }], warnings: [{ line: 2, message: 'w' }] });
    expect(total).toEqual({ rows: 4, created: 2, updated: 0, unchanged: 0, rejected: [{ line: 3, reason: 'not an address' }, { line: 5, reason: 'not an address' }], warnings: [{ line: 4, message: 'w' }] });
  });

  it('recognises the format from the name or the first character', () => {
    expect(guessFormat('{"email":1}')).toBe('jsonl');
    expect(guessFormat('email,country')).toBe('csv');
    expect(guessFormat('{', 'people.csv')).toBe('csv');
    expect(guessFormat('email', 'people.ndjson')).toBe('jsonl');
  });

  it('refuses a chunk size the API would not take', () => {
    expect(() => chunkImport('a', 'csv', 0)).toThrow(/1-1,000/);
    expect(() => chunkImport('a', 'csv', 1_001)).toThrow(/1-1,000/);
    expect(chunkImport('email\n', 'csv')).toEqual([]);
  });
});
