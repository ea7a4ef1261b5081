/**
 * Splitting an import file into requests the API takes (`POST /v1/recipients/import`, at most 1,000 rows each),
 * and putting the per-chunk reports back together with the line numbers of the original file. Pure: text in, text
 * and numbers out.
 */
import type { z } from 'zod';
import type { ImportReportSchema } from '../lambdas/schemas/operations.ts';
import { UsageError } from './errors.ts';
import { fileRecords, originalLine, rowStarts, type FileRecord } from '../lambdas/domain/import-lines.ts';

/** One mapping of reported lines back to the file's, shared with the console. */
export { originalLine };

export type ImportReport = z.infer<typeof ImportReportSchema>;
export type ImportFormat = 'csv' | 'jsonl';

export const MAX_CHUNK_ROWS = 1_000;
/** Well under API Gateway's 10 MB payload limit. */
export const MAX_CHUNK_BYTES = 4 * 1024 * 1024;

export const CONTENT_TYPES: Readonly<Record<ImportFormat, string>> = { csv: 'text/csv', jsonl: 'application/x-ndjson' };

export interface Chunk {
  /** The request body: the CSV header (repeated in every chunk) and the rows, one after another. */
  readonly body: string;
  /** The original line of each row of the chunk, in order. */
  readonly lines: readonly number[];
  /** The line of the chunk's body each row starts on (a CSV row may span lines: a line break in quotes). */
  readonly starts: readonly number[];
}

/** `--format`, else the file name (`.csv`, `.jsonl`, `.ndjson`), else the first character (`{` → JSON lines). */
export function detectFormat(file: string, text: string, flag?: string): ImportFormat {
  if (flag !== undefined) {
    if (flag === 'csv' || flag === 'jsonl') return flag;
    throw new UsageError(`--format takes \`csv\` or \`jsonl\`, not \`${flag}\`.`, 'recipients import');
  }
  if (/\.csv$/i.test(file)) return 'csv';
  if (/\.(jsonl|ndjson)$/i.test(file)) return 'jsonl';
  return text.trimStart().startsWith('{') ? 'jsonl' : 'csv';
}

/**
 * The file as chunks of at most `rows` rows (and `MAX_CHUNK_BYTES`), each a body the API takes on its own: a CSV
 * chunk starts with the file's header row. Empty for a file without rows.
 */
export function chunkFile(text: string, format: ImportFormat, rows = 500): Chunk[] {
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  let headerRow: string | undefined;
  let records: FileRecord[];
  // Rows as the API reads them: a line ends at LF, CRLF or a lone CR; each is sent on ending in LF.
  if (format === 'csv') {
    const all = fileRecords(body, 'csv');
    headerRow = all[0]?.text;
    records = all.slice(1);
  } else {
    records = fileRecords(body, 'jsonl');
  }
  const header = headerRow === undefined ? '' : `${headerRow}\n`;
  const chunks: Chunk[] = [];
  let current: FileRecord[] = [];
  let bytes = 0;
  const flush = () => {
    if (current.length === 0) return;
    chunks.push({
      body: header + current.map((r) => `${r.text}\n`).join(''),
      lines: current.map((r) => r.line),
      starts: rowStarts(headerRow, current.map((r) => r.text)),
    });
    current = [];
    bytes = 0;
  };
  for (const record of records) {
    const size = Buffer.byteLength(record.text) + 1;
    if (current.length >= rows || (current.length > 0 && bytes + size + header.length > MAX_CHUNK_BYTES)) flush();
    current.push(record);
    bytes += size;
  }
  flush();
  return chunks;
}

/** Line numbers mentioned in a message (`same address as line 3`) are chunk lines too. */
const relineText = (text: string, map: (n: number) => number) => text.replace(/\bline (\d+)\b/g, (_, n: string) => `line ${map(Number(n))}`);

/** A chunk's report with every line number turned into the line of the original file. */
export function localizeReport(report: ImportReport, chunk: Chunk, format: ImportFormat): ImportReport {
  const map = (n: number) => originalLine(chunk, format, n);
  return {
    ...report,
    rejected: report.rejected.map((r) => ({ line: map(r.line), reason: relineText(r.reason, map) })),
    warnings: report.warnings.map((w) => ({ line: map(w.line), message: relineText(w.message, map) })),
  };
}

export const emptyReport = (): ImportReport => ({ rows: 0, created: 0, updated: 0, unchanged: 0, rejected: [], warnings: [] });

/** The sum of two reports, rejections and warnings in line order. */
export function mergeReports(a: ImportReport, b: ImportReport): ImportReport {
  return {
    rows: a.rows + b.rows,
    created: a.created + b.created,
    updated: a.updated + b.updated,
    unchanged: a.unchanged + b.unchanged,
    rejected: [...a.rejected, ...b.rejected].sort((x, y) => x.line - y.line),
    warnings: [...a.warnings, ...b.warnings].sort((x, y) => x.line - y.line),
  };
}
