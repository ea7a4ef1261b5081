/**
 * Reading an uploaded text file (an import): its encoding detected from its bytes, CSV delimiters sniffed, and a CSV
 * parser that rejects a broken record (an unterminated or stray quote) on its own instead of the whole file.
 * Pure: no I/O. Node's `TextDecoder` (full ICU) does the decoding; no extra library.
 */

export type TextEncoding = 'utf-8' | 'utf-16le' | 'utf-16be' | 'windows-1252';

/** Charset labels a caller may name in `Content-Type: text/csv; charset=…`, mapped to what we decode with. */
const CHARSETS: Record<string, TextEncoding> = {
  'utf-8': 'utf-8',
  utf8: 'utf-8',
  'utf-16': 'utf-16le',
  'utf-16le': 'utf-16le',
  'utf-16be': 'utf-16be',
  'windows-1252': 'windows-1252',
  cp1252: 'windows-1252',
  'iso-8859-1': 'windows-1252',
  'iso-8859-15': 'windows-1252',
  latin1: 'windows-1252',
  'us-ascii': 'utf-8',
};

/** The encoding named by a Content-Type's `charset`, if it names one we read. */
export function charsetOf(contentType: string | undefined): TextEncoding | undefined {
  const m = /;\s*charset\s*=\s*"?([\w.-]+)"?/i.exec(contentType ?? '');
  return m?.[1] ? CHARSETS[m[1].toLowerCase()] : undefined;
}

const isValidUtf8 = (bytes: Uint8Array): boolean => {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
};

/**
 * The encoding of `bytes`: a byte-order mark decides (UTF-8, UTF-16 LE/BE); without one, UTF-16 is recognised by its
 * zero bytes, valid UTF-8 is UTF-8, and anything else is Windows-1252 (a superset of Latin-1's printable range, what
 * spreadsheet programs write as "ANSI").
 */
export function detectEncoding(bytes: Uint8Array): TextEncoding {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return 'utf-8';
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return 'utf-16le';
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return 'utf-16be';
  const sample = bytes.subarray(0, Math.min(bytes.length, 4096));
  let evenZeros = 0;
  let oddZeros = 0;
  for (let i = 0; i < sample.length; i++) if (sample[i] === 0) (i % 2 === 0 ? evenZeros++ : oddZeros++);
  const half = sample.length / 2;
  if (half >= 2 && oddZeros > half * 0.3 && evenZeros < half * 0.05) return 'utf-16le';
  if (half >= 2 && evenZeros > half * 0.3 && oddZeros < half * 0.05) return 'utf-16be';
  return isValidUtf8(bytes) ? 'utf-8' : 'windows-1252';
}

/**
 * Decodes an uploaded file to text, without its byte-order mark. `declared` (the request's charset) wins over
 * detection, except that a byte-order mark is always believed.
 *
 * @example
 * decodeText(Buffer.from([0x4d, 0xfc, 0x6c, 0x6c, 0x65, 0x72])) // { text: 'Müller', encoding: 'windows-1252' }
 */
export function decodeText(bytes: Uint8Array, declared?: TextEncoding): { text: string; encoding: TextEncoding } {
  const hasBom = (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) || (bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff);
  const encoding = hasBom ? detectEncoding(bytes) : (declared ?? detectEncoding(bytes));
  // TextDecoder drops a BOM of its own encoding by default (ignoreBOM: false).
  const text = new TextDecoder(encoding).decode(bytes);
  return { text: text.charCodeAt(0) === 0xfeff ? text.slice(1) : text, encoding };
}

export type CsvDelimiter = ',' | ';' | '\t';

/**
 * The delimiter of a CSV file, from its header line (the first that is not blank, as the parser skips blank lines):
 * the one of `,` `;` tab that occurs most often outside quotes (`,` on a tie or when none occurs: a one-column file).
 */
export function sniffDelimiter(text: string): CsvDelimiter {
  const counts: Record<CsvDelimiter, number> = { ',': 0, ';': 0, '\t': 0 };
  let quoted = false;
  const start = /^(?:[ \t]*(?:\r\n|\r|\n))*/.exec(text)?.[0].length ?? 0;
  for (let i = start; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '"') quoted = !quoted;
    else if (!quoted && (ch === '\n' || ch === '\r')) break;
    else if (!quoted && (ch === ',' || ch === ';' || ch === '\t')) counts[ch]++;
  }
  return (Object.entries(counts) as Array<[CsvDelimiter, number]>).reduce((best, c) => (c[1] > best[1] ? c : best), [',', 0] as [CsvDelimiter, number])[0];
}

export type CsvRecord = { readonly line: number; readonly cells: string[] } | { readonly line: number; readonly error: string };

/**
 * Parses CSV (RFC 4180: quoted fields may hold the delimiter, `""` and line breaks) into records, each with the line
 * it starts on. A record with a broken quote — one never closed, or closed and followed by something other than a
 * delimiter or a line end — is returned as an error for its line, and parsing starts again on the next line, so
 * the rows after it are read as if it were not there. Blank lines are skipped; cells are trimmed. A line ends at
 * CRLF, LF or a lone CR. `maxRecords`: stop after that many records (a header needs only the first).
 */
export function parseCsv(text: string, delimiter: CsvDelimiter, maxRecords = Infinity): CsvRecord[] {
  const out: CsvRecord[] = [];
  const n = text.length;
  let pos = 0;
  let line = 1;
  while (pos < n && out.length < maxRecords) {
    const startPos = pos;
    const startLine = line;
    const cells: string[] = [];
    let cell = '';
    // A quoted cell keeps its spaces wherever it ends (a delimiter, a line end, the end of the text); others are trimmed.
    let quoted = false;
    const end = () => (quoted ? cell : cell.trim());
    let error: string | undefined;
    let done = false;
    let cur = line;
    let p = pos;
    while (!done) {
      if (p >= n) {
        cells.push(end());
        done = true;
        break;
      }
      const ch = text[p]!;
      if (ch === '"' && cell.trim() === '') {
        // A quoted field.
        let value = '';
        let q = p + 1;
        let closed = false;
        while (q < n) {
          const c = text[q]!;
          if (c === '"') {
            if (text[q + 1] === '"') {
              value += '"';
              q += 2;
              continue;
            }
            closed = true;
            q++;
            break;
          }
          // A lone CR is a line end here too, as outside quotes (files saved with classic Mac line ends).
          if (c === '\n' || (c === '\r' && text[q + 1] !== '\n')) cur++;
          value += c;
          q++;
        }
        if (!closed) {
          error = 'a quote opened here is never closed';
          break;
        }
        // After the closing quote: spaces, then a delimiter, a line end or the end of the text.
        while (q < n && (text[q] === ' ' || text[q] === '\t') && text[q] !== delimiter) q++;
        const after = text[q];
        if (after !== undefined && after !== delimiter && after !== '\n' && after !== '\r') {
          error = 'text after a closing quote (write a quote inside a quoted cell as "")';
          break;
        }
        cell = value;
        quoted = true;
        p = q;
        if (after === delimiter) {
          cells.push(cell);
          cell = '';
          quoted = false;
          p++;
          continue;
        }
        continue;
      }
      if (ch === delimiter) {
        cells.push(end());
        cell = '';
        quoted = false;
        p++;
        continue;
      }
      if (ch === '\r' || ch === '\n') {
        cells.push(end());
        p += ch === '\r' && text[p + 1] === '\n' ? 2 : 1;
        cur++;
        done = true;
        break;
      }
      if (ch === '"') {
        error = 'a quote in the middle of an unquoted cell (quote the whole cell and write the quote as "")';
        break;
      }
      cell += ch;
      p++;
    }
    if (error !== undefined) {
      out.push({ line: startLine, error });
      // Start again on the line after the one this record began on (its end: CRLF, LF or a lone CR).
      const lineEnd = /\r\n|\r|\n/g;
      lineEnd.lastIndex = startPos;
      const nl = lineEnd.exec(text);
      pos = nl ? nl.index + nl[0].length : n;
      line = startLine + 1;
      continue;
    }
    pos = p;
    line = cur;
    if (!(cells.length === 1 && cells[0] === '')) out.push({ line: startLine, cells: cells.map((c) => c) });
  }
  return out;
}

/**
 * Line ends in `text` as `parseCsv` and the JSON-lines reader count them: CRLF, LF or a lone CR (a CR that ends
 * `text` is one too, so cut a file only where a CR cannot be the first half of a CRLF).
 *
 * @example
 * lineEnds('a\r\nb\rc\n') // 3
 */
export function lineEnds(text: string): number {
  return text.match(/\r\n|\r|\n/g)?.length ?? 0;
}

const CSV_SPECIAL = /[",;\t\r\n]/;

/**
 * A record written back as CSV in `delimiter`, as `csvHeader` writes a header. Any of the three candidate delimiters
 * is quoted, not only this file's: an unquoted `,` in a `;` header would change what the header is sniffed as.
 *
 * @example
 * csvRecordText(['email', 'a,b'], ';') // 'email;"a,b"'
 */
export function csvRecordText(cells: readonly string[], delimiter: CsvDelimiter): string {
  const cell = (c: string) => (CSV_SPECIAL.test(c) || c !== c.trim() ? `"${c.replaceAll('"', '""')}"` : c);
  return cells.map(cell).join(delimiter);
}

/**
 * The header of a CSV file as `parseCsv` reads it (its first record that is not blank), written back as CSV in the
 * file's delimiter: what a later piece of the file is parsed under, so it yields the same columns and the same
 * delimiter is sniffed from it. Undefined when the first record is broken or there is none.
 *
 * @example
 * csvHeader('\r\nemail;"a,b"\r\nx@example.com;1') // 'email;"a,b"'
 */
export function csvHeader(text: string): string | undefined {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const delimiter = sniffDelimiter(body);
  const first = parseCsv(body, delimiter, 1)[0];
  if (!first || 'error' in first) return undefined;
  return csvRecordText(first.cells, delimiter);
}
