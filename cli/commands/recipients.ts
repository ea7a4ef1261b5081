import { readFileSync } from 'node:fs';
import { printAnswer, stringOption, type Context, type Group } from '../command.ts';
import { ApiError, CliError, UsageError } from '../errors.ts';
import {
  chunkFile,
  CONTENT_TYPES,
  detectFormat,
  emptyReport,
  localizeReport,
  MAX_CHUNK_ROWS,
  mergeReports,
  type ImportReport,
} from '../import-file.ts';
import { count, importProgressLine } from '../render.ts';
import { progressWriter } from '../progress.ts';

function chunkSize(ctx: Context): number {
  const raw = stringOption(ctx, 'chunk-size');
  if (raw === undefined) return 500;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > MAX_CHUNK_ROWS) throw new UsageError(`--chunk-size takes a whole number from 1 to ${count(MAX_CHUNK_ROWS)}`, 'recipients import');
  return n;
}

export function reportText(report: ImportReport, file: string): string {
  const lines = [
    `Imported ${count(report.rows)} rows from ${file}: ${count(report.created)} created, ${count(report.updated)} updated, ` +
      `${count(report.unchanged)} unchanged, ${count(report.rejected.length)} rejected.`,
  ];
  if (report.rejected.length) lines.push('Rejected:', ...report.rejected.map((r) => `  line ${r.line}: ${r.reason}`));
  if (report.warnings.length) lines.push('Warnings:', ...report.warnings.map((w) => `  line ${w.line}: ${w.message}`));
  return `${lines.join('\n')}\n`;
}

async function importFile(ctx: Context): Promise<number> {
  const [file = ''] = ctx.args;
  const size = chunkSize(ctx);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new CliError(`Cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const format = detectFormat(file, text, stringOption(ctx, 'format'));
  const chunks = chunkFile(text, format, size);
  const total = chunks.reduce((n, c) => n + c.lines.length, 0);
  if (total === 0) throw new CliError(`${file} has no rows to import${format === 'csv' ? ' (a CSV needs a header row and at least one row under it)' : ''}.`);

  const client = await ctx.client();
  const progress = progressWriter(ctx.io);
  let report = emptyReport();
  let done = 0;
  for (const [i, chunk] of chunks.entries()) {
    progress.update((bar) => importProgressLine(done, total, i + 1, chunks.length, bar));
    try {
      const answer = await client.request<ImportReport>('POST', '/v1/recipients/import', { body: chunk.body, contentType: CONTENT_TYPES[format] });
      report = mergeReports(report, localizeReport(answer, chunk, format));
    } catch (e) {
      progress.done();
      if (done > 0) {
        ctx.io.err(`Stopped at the chunk of lines ${chunk.lines[0]}–${chunk.lines.at(-1)}; the ${count(done)} rows before line ${chunk.lines[0]} were imported:\n`);
        printAnswer(ctx, report, () => reportText(report, file));
      }
      if (e instanceof ApiError && done === 0 && chunks.length > 1) ctx.io.err(`Nothing was imported (the first chunk, lines ${chunk.lines[0]}–${chunk.lines.at(-1)}, failed).\n`);
      throw e;
    }
    done += chunk.lines.length;
  }
  progress.update((bar) => importProgressLine(done, total, chunks.length, chunks.length, bar));
  progress.done();
  printAnswer(ctx, report, () => reportText(report, file));
  return 0;
}

export const recipients: Group = {
  summary: 'Recipients: bulk import',
  commands: {
    import: {
      summary: 'Import recipients from a CSV or JSON-lines file, in chunks, with a result per row (lines of your file)',
      args: ['FILE'],
      options: {
        format: { type: 'string', value: 'csv|jsonl', help: 'file format (default: from the name, .csv / .jsonl / .ndjson, else the content)' },
        'chunk-size': { type: 'string', value: 'N', help: `rows per request, 1 to ${count(MAX_CHUNK_ROWS)} (default 500)` },
      },
      examples: [
        'sendwell recipients import people.csv',
        'sendwell recipients import people.jsonl --chunk-size 2000 --json > report.json',
        '# people.csv: email,country,locale,topic:news,consent_at,consent_source,plan',
      ],
      run: importFile,
    },
  },
};
