/**
 * Lines of an import file. Where a row was: the CLI and the console send a file in chunks, and the API reports lines
 * of the chunk it was given; one splitting of a file into rows and one mapping back to the file's own lines, shared
 * by both. And how much of a report one chunk keeps. Pure: no Node, no DOM.
 */
import { lineEnds } from './text-file.ts';

/** One row as it stands in the file: its text (without its line end) and the line it starts on. */
export interface FileRecord {
  readonly text: string;
  readonly line: number;
}

/**
 * The rows of an import file with the line each starts on, as the API reads and numbers them: a line ends at LF, CRLF
 * or a lone CR (classic Mac files), in CSV and JSON lines alike; in CSV a line end inside double quotes belongs to
 * its field (the row spans lines). Blank rows are skipped, as the API skips them.
 *
 * @example
 * fileRecords('email\ra@x.io\r\n\r"b@x.io"\n', 'csv') // [{ text: 'email', line: 1 }, { text: 'a@x.io', line: 2 }, { text: '"b@x.io"', line: 4 }]
 */
export function fileRecords(text: string, format: 'csv' | 'jsonl'): FileRecord[] {
  const out: FileRecord[] = [];
  let start = 0;
  let line = 1;
  let first = 1;
  let quoted = false;
  const end = (i: number) => {
    const t = text.slice(start, i);
    if (t.trim() !== '') out.push({ text: t, line: first });
  };
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (format === 'csv' && c === 0x22) quoted = !quoted;
    if (c !== 0x0a && c !== 0x0d) continue;
    // CRLF is one line end.
    const width = c === 0x0d && text.charCodeAt(i + 1) === 0x0a ? 2 : 1;
    line++;
    if (!quoted) {
      end(i);
      start = i + width;
      first = line;
    }
    i += width - 1;
  }
  end(text.length);
  return out;
}

/**
 * The line of a chunk's body each row starts on, the body being the CSV header row (if any) and the rows, each ended
 * by LF: a header or row spanning lines (a line break in quotes) takes all of them.
 *
 * @example
 * rowStarts('email', ['a@x.io', '"b\nc"', 'd@x.io']) // [2, 3, 5]
 */
export function rowStarts(header: string | undefined, rows: readonly string[]): number[] {
  const starts: number[] = [];
  let at = header === undefined ? 1 : 2 + lineEnds(header);
  for (const row of rows) {
    starts.push(at);
    at += 1 + lineEnds(row);
  }
  return starts;
}

/** A chunk's rows: `lines[i]` is the original line of its i-th row, `starts[i]` the chunk-body line it starts on. */
export interface ChunkLines {
  readonly lines: readonly number[];
  readonly starts: readonly number[];
}

/**
 * The line of the original file for a line the API reported for `chunk` (a CSV chunk's header is line 1; a row with
 * a line break in quotes takes two lines).
 *
 * @example
 * originalLine({ lines: [501, 502], starts: [2, 3] }, 'csv', 3) // 502
 */
export function originalLine(chunk: ChunkLines, format: 'csv' | 'jsonl', reported: number): number {
  if (format === 'csv' && reported === 1) return 1;
  let k = -1;
  chunk.starts.forEach((start, i) => {
    if (start <= reported) k = i;
  });
  const line = k >= 0 ? chunk.lines[k] : undefined;
  return line === undefined ? reported : line + (reported - chunk.starts[k]!);
}

/** One entry of an import job's report (the shape the store keeps and `GET /v1/imports/{id}/report` pages through). */
export interface ReportEntry {
  readonly line: number;
  readonly kind: 'rejected' | 'warning';
  readonly reason: string;
}

/** Bytes an entry takes in the stored report, over-estimated (its JSON; DynamoDB's own encoding is smaller). */
const utf8 = new TextEncoder();
export const entryBytes = (e: ReportEntry) => utf8.encode(JSON.stringify(e)).length + 8;

/** Room kept for the entry that says what was left out. */
const SUMMARY_BYTES = 400;

/**
 * The entries of one import step that fit in `budget` bytes: rejections before warnings (a rejected row is what
 * someone must act on), each kind in line order; what does not fit is counted in one last entry, so a chunk's report
 * never grows past what its DynamoDB item can hold (400 KB) and nothing is dropped without saying so.
 *
 * @example
 * capReport([{ line: 2, kind: 'warning', reason: 'x'.repeat(300) }, { line: 3, kind: 'rejected', reason: 'email: not valid' }], 500)
 * // [{ line: 3, kind: 'rejected', … }, { line: 2, kind: 'warning', reason: '…and 1 more entry (1 warning, lines 2–2) not kept: …' }]
 */
export function capReport(entries: readonly ReportEntry[], budget: number): ReportEntry[] {
  const total = entries.reduce((n, e) => n + entryBytes(e), 0);
  if (total <= budget) return [...entries];
  const ordered = [...entries].sort((a, b) => (a.kind === b.kind ? a.line - b.line : a.kind === 'rejected' ? -1 : 1));
  const kept: ReportEntry[] = [];
  let used = SUMMARY_BYTES;
  let k = 0;
  for (; k < ordered.length; k++) {
    const size = entryBytes(ordered[k]!);
    if (used + size > budget) break;
    kept.push(ordered[k]!);
    used += size;
  }
  const left = ordered.slice(k);
  if (left.length === 0) return kept;
  const rejected = left.filter((e) => e.kind === 'rejected').length;
  const lines = left.map((e) => e.line);
  const from = Math.min(...lines);
  const to = Math.max(...lines);
  const parts = [rejected ? `${rejected} rejected row${rejected === 1 ? '' : 's'}` : '', left.length - rejected ? `${left.length - rejected} warning${left.length - rejected === 1 ? '' : 's'}` : ''].filter(Boolean);
  kept.push({
    line: from,
    // A warning even when rejections were left out: the entry is about the report, not a row of its own.
    kind: 'warning',
    reason: `…and ${left.length} more entr${left.length === 1 ? 'y' : 'ies'} (${parts.join(', ')}, lines ${from}–${to}) not kept: a chunk's report holds at most ${Math.floor(budget / 1000)} KB; the job's counts include them`,
  });
  return kept;
}
