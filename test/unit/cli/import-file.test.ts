import fc from 'fast-check';
import { parseCsv } from '../../../lambdas/domain/text-file.ts';
import { describe, expect, it } from 'vitest';
import { chunkFile, detectFormat, emptyReport, localizeReport, mergeReports, originalLine, type ImportReport } from '../../../cli/import-file.ts';

const report = (over: Partial<ImportReport>): ImportReport => ({ ...emptyReport(), ...over });

describe('chunkFile: CSV', () => {
  const csv = ['email,country', 'a@x.io,US', '', 'b@x.io,DE', '"c@x.io","multi', 'line"', 'd@x.io,FR', 'e@x.io,US'].join('\r\n') + '\r\n';

  it('repeats the header in every chunk and keeps each row whole, quoted line breaks included', () => {
    const chunks = chunkFile(csv, 'csv', 2);
    expect(chunks.map((c) => c.body)).toEqual([
      'email,country\na@x.io,US\nb@x.io,DE\n',
      'email,country\n"c@x.io","multi\r\nline"\nd@x.io,FR\n',
      'email,country\ne@x.io,US\n',
    ]);
  });

  it('records the line of the file each row starts on (blank lines and multi-line rows counted)', () => {
    expect(chunkFile(csv, 'csv', 2).map((c) => c.lines)).toEqual([[2, 4], [5, 7], [8]]);
  });

  it('drops a byte order mark and has no chunks for a header without rows', () => {
    expect(chunkFile('\uFEFFemail\na@x.io\n', 'csv', 10)[0]?.body).toBe('email\na@x.io\n');
    expect(chunkFile('email,country\n\n', 'csv', 10)).toEqual([]);
    expect(chunkFile('', 'csv', 10)).toEqual([]);
  });

  it('closes a chunk before it passes 4 MiB even when the row count allows more', () => {
    const row = `${'x'.repeat(1024 * 1024)}@x.io`;
    const chunks = chunkFile(`email\n${[row, row, row, row, row].join('\n')}`, 'csv', 500);
    expect(chunks.map((c) => c.lines.length)).toEqual([3, 2]);
    for (const c of chunks) expect(Buffer.byteLength(c.body)).toBeLessThanOrEqual(4 * 1024 * 1024);
  });
});

describe('chunkFile: line ends', () => {
  // The API ends a line at LF, CRLF or a lone CR (classic Mac files) in CSV and JSON lines alike: so must the CLI,
  // or a CR-only file is one line (no rows, or one row that is not JSON) and the lines it reports are wrong.
  const csvRows = ['email,country', 'a@x.io,US', '', '"c@x.io","multi', 'line"', 'd@x.io,FR'];
  const jsonRows = ['{"email":"a@x.io"}', '', '{"email":"b@x.io"}', '{bad'];
  for (const [name, end] of [['CR', '\r'], ['CRLF', '\r\n'], ['LF', '\n']] as const) {
    it(`reads ${name} line ends as LF: the same rows, each on its line of the file`, () => {
      const csv = chunkFile(csvRows.join(end) + end, 'csv', 2);
      expect(csv.map((c) => c.lines)).toEqual([[2, 4], [6]]);
      expect(csv[1]!.body).toBe('email,country\nd@x.io,FR\n');
      expect(csv[0]!.body).toBe(`email,country\na@x.io,US\n"c@x.io","multi${end}line"\n`);
      // What the API reports for the quoted row (its line in the chunk) maps back to the file's line.
      const served = parseCsv(csv[0]!.body, ',').slice(1);
      expect(served.map((r) => originalLine(csv[0]!, 'csv', r.line))).toEqual([2, 4]);
      expect(chunkFile(jsonRows.join(end), 'jsonl', 10)).toEqual([{ body: '{"email":"a@x.io"}\n{"email":"b@x.io"}\n{bad\n', lines: [1, 3, 4], starts: [1, 2, 3] }]);
    });
  }
});

describe('chunkFile: JSON lines', () => {
  it('skips blank lines and keeps the file’s line numbers', () => {
    const chunks = chunkFile('{"email":"a@x.io"}\n\n{"email":"b@x.io"}\r\n  \n{bad\n', 'jsonl', 2);
    expect(chunks).toEqual([
      { body: '{"email":"a@x.io"}\n{"email":"b@x.io"}\n', lines: [1, 3], starts: [1, 2] },
      { body: '{bad\n', lines: [5], starts: [1] },
    ]);
  });
});

describe('line numbers', () => {
  it('maps what the API reports for a chunk to the line of the file', () => {
    const [, second] = chunkFile('email\na@x.io\nb@x.io\n\nc@x.io\n', 'csv', 2);
    // The API numbers a CSV chunk's header 1 and its rows from 2.
    expect(second && originalLine(second, 'csv', 2)).toBe(5);
    const [jsonl] = chunkFile('\n\n{"email":1}\n', 'jsonl', 5);
    expect(jsonl && originalLine(jsonl, 'jsonl', 1)).toBe(3);
  });

  it('holds for any file: the line the API reports for row i (where it starts in the chunk) is the file line whose text it is', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.constant(''), fc.constant('"x@y.io","a\nb"'), fc.stringMatching(/^[a-z]{1,8}@x\.io,[A-Z]{2}$/)), { maxLength: 60 }),
        fc.integer({ min: 1, max: 7 }),
        (rows, size) => {
          const file = `email,country\n${rows.join('\n')}\n`;
          const fileLines = file.split('\n');
          const chunks = chunkFile(file, 'csv', size);
          expect(chunks.reduce((n, c) => n + c.lines.length, 0)).toBe(rows.filter((r) => r !== '').length);
          for (const chunk of chunks) {
            const bodyRows = chunk.body.split('\n').slice(1);
            // What the API reports for each row: the line of the chunk's body it starts on, read by the server's parser.
            const served = parseCsv(chunk.body, ',').slice(1);
            expect(served).toHaveLength(chunk.lines.length);
            chunk.lines.forEach((line, i) => {
              const reported = served[i]!.line;
              expect(originalLine(chunk, 'csv', reported)).toBe(line);
              expect(bodyRows.join('\n').includes(fileLines[line - 1] ?? '\u0000')).toBe(true);
            });
          }
        },
      ),
    );
  });
});

describe('reports', () => {
  it('localizes rejections, warnings and the lines named inside messages', () => {
    const [, chunk] = chunkFile('email\na@x.io\nb@x.io\n\nc@x.io\nc@x.io\n', 'csv', 2);
    const local = localizeReport(
      report({ rows: 2, created: 1, rejected: [{ line: 2, reason: 'email: not valid' }], warnings: [{ line: 3, message: 'same address as line 2: merged into one recipient' }] }),
      chunk!,
      'csv',
    );
    expect(local).toEqual(
      report({ rows: 2, created: 1, rejected: [{ line: 5, reason: 'email: not valid' }], warnings: [{ line: 6, message: 'same address as line 5: merged into one recipient' }] }),
    );
  });

  it('merges by adding the counts and keeps rejections in line order', () => {
    const merged = [
      report({ rows: 3, created: 2, updated: 1, rejected: [{ line: 900, reason: 'b' }] }),
      report({ rows: 2, unchanged: 1, rejected: [{ line: 4, reason: 'a' }], warnings: [{ line: 7, message: 'w' }] }),
    ].reduce(mergeReports, emptyReport());
    expect(merged).toEqual({
      rows: 5,
      created: 2,
      updated: 1,
      unchanged: 1,
      rejected: [
        { line: 4, reason: 'a' },
        { line: 900, reason: 'b' },
      ],
      warnings: [{ line: 7, message: 'w' }],
    });
  });
});

describe('detectFormat', () => {
  it('takes the flag, then the file name, then the first character', () => {
    expect(detectFormat('people.txt', '{"email":1}', 'csv')).toBe('csv');
    expect(detectFormat('people.CSV', '{"email":1}')).toBe('csv');
    expect(detectFormat('people.ndjson', 'email')).toBe('jsonl');
    expect(detectFormat('-', '  {"email":1}')).toBe('jsonl');
    expect(detectFormat('people.txt', 'email,country')).toBe('csv');
    expect(() => detectFormat('people.txt', '', 'xml')).toThrow('--format takes `csv` or `jsonl`, not `xml`.');
  });
});
