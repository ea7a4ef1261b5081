/**
 * Splitting an import (a file or pasted text) into requests for `POST /v1/recipients/import`, and mapping each
 * request's report back to the lines of the original text. Pure, browser-safe (no Buffer).
 */
import { fileRecords, originalLine, rowStarts } from '../../lambdas/domain/import-lines.ts';

/** One mapping of reported lines back to the file's, shared with the CLI. */
export { originalLine };

export type ImportFormat = 'csv' | 'jsonl';

export interface ImportChunk {
  /** The request body; a CSV chunk repeats the header row. */
  readonly body: string;
  /** The original line of each row, in order. */
  readonly lines: readonly number[];
  /** The line of the body each row starts on (a CSV row may span lines: a line break in quotes). */
  readonly starts: readonly number[];
}

export interface RowReport {
  readonly rows: number;
  readonly created: number;
  readonly updated: number;
  readonly unchanged: number;
  readonly rejected: readonly { line: number; reason: string }[];
  readonly warnings: readonly { line: number; message: string }[];
}

export const CONTENT_TYPE: Readonly<Record<ImportFormat, string>> = { csv: 'text/csv', jsonl: 'application/x-ndjson' };

/** JSON lines when the first non-blank character is `{` or the name says so; otherwise CSV. */
export function guessFormat(text: string, fileName = ''): ImportFormat {
  if (/\.(jsonl|ndjson)$/i.test(fileName)) return 'jsonl';
  if (/\.csv$/i.test(fileName)) return 'csv';
  return text.trimStart().startsWith('{') ? 'jsonl' : 'csv';
}

/** The text as requests of at most `rowsPerChunk` rows. */
export function chunkImport(text: string, format: ImportFormat, rowsPerChunk = 500): ImportChunk[] {
  if (!Number.isInteger(rowsPerChunk) || rowsPerChunk < 1 || rowsPerChunk > 1_000) throw new Error('rows per request must be 1-1,000');
  // Rows as the API reads them (a line ends at LF, CRLF or a lone CR), shared with the CLI.
  const all = fileRecords(text.replace(/^\uFEFF/, ''), format);
  const header = format === 'csv' ? all.shift() : undefined;
  const chunks: ImportChunk[] = [];
  for (let i = 0; i < all.length; i += rowsPerChunk) {
    const part = all.slice(i, i + rowsPerChunk);
    const starts = rowStarts(header?.text, part.map((r) => r.text));
    chunks.push({ body: (header ? `${header.text}\n` : '') + part.map((r) => `${r.text}\n`).join(''), lines: part.map((r) => r.line), starts });
  }
  return chunks;
}

/** Adds a chunk's report to the running total, with line numbers of the original text. */
export function addReport(total: RowReport, chunk: ImportChunk, format: ImportFormat, report: RowReport): RowReport {
  return {
    rows: total.rows + report.rows,
    created: total.created + report.created,
    updated: total.updated + report.updated,
    unchanged: total.unchanged + report.unchanged,
    rejected: [...total.rejected, ...report.rejected.map((r) => ({ ...r, line: originalLine(chunk, format, r.line) }))],
    warnings: [...total.warnings, ...report.warnings.map((w) => ({ ...w, line: originalLine(chunk, format, w.line) }))],
  };
}

export const emptyReport: RowReport = { rows: 0, created: 0, updated: 0, unchanged: 0, rejected: [], warnings: [] };
