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
import { count, importProgressLine, progressBar } from '../render.ts';
import { decodeText } from '../../lambdas/domain/text-file.ts';
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

/** What `GET /v1/imports/{id}` answers (the parts the CLI shows). */
interface ImportJobView {
  readonly id: string;
  readonly status: 'awaitingUpload' | 'queued' | 'running' | 'completed' | 'failed';
  readonly rows: { readonly total: number; readonly done: number };
  readonly created: number;
  readonly updated: number;
  readonly unchanged: number;
  readonly rejected: number;
  readonly etaSeconds?: number;
  readonly ratePerSecond?: number;
  readonly failure?: { readonly reason: string };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Files above this go to the job's pre-signed upload URL instead of the request body (10 MB through API Gateway). */
const UPLOAD_ABOVE_BYTES = 8 * 1024 * 1024;

/** `POST /v1/imports {upload}`, then the file (UTF-8, as decoded here) PUT to the URL it answers: no API credentials. */
async function uploadForJob(client: Awaited<ReturnType<Context['client']>>, text: string, format: 'csv' | 'jsonl'): Promise<{ id: string; status: string }> {
  const accepted = await client.request<{ id: string; status: string; upload: { url: string; method: string; headers: Record<string, string> } }>('POST', '/v1/imports', {
    body: JSON.stringify({ upload: { format, charset: 'utf-8' } }),
    contentType: 'application/json',
  });
  const put = await fetch(accepted.upload.url, { method: accepted.upload.method, headers: accepted.upload.headers, body: text });
  if (!put.ok) throw new CliError(`The upload of the file was refused (${put.status}); import ${accepted.id} waits for it until its URL expires.`);
  return accepted;
}

/** Reads of a job that may fail in a row (no answer, a 429 or a 5xx) before the command gives up on following it. */
const JOB_READ_TRIES = 6;

/**
 * A read of an import job that outlasts failures that may pass (waits 2, 4, 8, 16, 30 s): the job goes on on the
 * server meanwhile. A 4xx answers the same however often it is asked, and ends it at once.
 */
async function readJob<T>(client: Awaited<ReturnType<Context['client']>>, path: string, jobId: string): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await client.request<T>('GET', path);
    } catch (e) {
      const lasting = e instanceof ApiError && e.status < 500 && e.status !== 429;
      if (lasting || !(e instanceof CliError) || attempt >= JOB_READ_TRIES) {
        const follow = `\nImport job ${jobId} goes on on the server: GET /v1/imports/${jobId} (and …/report) reads it.`;
        if (e instanceof ApiError) throw new ApiError(e.status, e.code, `${e.message}${follow}`, e.details);
        if (e instanceof CliError) throw new CliError(`${e.message}${follow}`);
        throw e;
      }
      await sleep(Math.min(1000 * 2 ** attempt, 30_000));
    }
  }
}

/**
 * An import job (`POST /v1/imports`): the whole file in one request, then its progress polled into a progress bar,
 * then the report of every rejected or warned row. Lines are the file's own (the server reads the whole file). A job
 * that failed ends the wait: what it imported is printed as for a completed one, then its reason, and exit 1.
 */
async function importAsJob(ctx: Context, file: string, text: string, format: 'csv' | 'jsonl'): Promise<number> {
  const client = await ctx.client();
  const accepted = Buffer.byteLength(text) > UPLOAD_ABOVE_BYTES ? await uploadForJob(client, text, format) : await client.request<{ id: string; status: string }>('POST', '/v1/imports', { body: text, contentType: CONTENT_TYPES[format] });
  // Said at once, on stderr: the job runs on the server whatever happens to this command.
  ctx.io.err(`Import job ${accepted.id} accepted (GET /v1/imports/${accepted.id} follows it).\n`);
  const read = <T>(path: string) => readJob<T>(client, path, accepted.id);
  const progress = progressWriter(ctx.io);
  let job: ImportJobView;
  for (;;) {
    job = await read<ImportJobView>(`/v1/imports/${accepted.id}`);
    const eta = job.etaSeconds !== undefined && job.status !== 'completed' ? ` · ETA ${job.etaSeconds}s` : '';
    const rate = job.ratePerSecond !== undefined ? ` · ${count(Math.round(job.ratePerSecond))}/s` : '';
    progress.update((bar) =>
      bar.bar
        ? `${progressBar(job.rows.done, job.rows.total, bar.width)}  ${count(job.rows.done)}/${count(job.rows.total)} rows${rate}${eta} · ${job.status}`
        : `import ${accepted.id}: ${count(job.rows.done)}/${count(job.rows.total)} rows${rate}${eta} · ${job.status}`,
    );
    if (job.status === 'completed' || job.status === 'failed') break;
    await sleep(1000);
  }
  progress.done();
  const failed = job.status === 'failed';
  // A failed job's rows are those it settled, not the file's.
  const report: ImportReport = { rows: failed ? job.rows.done : job.rows.total, created: job.created, updated: job.updated, unchanged: job.unchanged, rejected: [], warnings: [] };
  let cursor: string | undefined;
  do {
    const page = await read<{ entries: Array<{ line: number; kind: string; reason: string }>; next?: string }>(
      `/v1/imports/${accepted.id}/report${cursor ? `?cursor=${encodeURIComponent(cursor)}` : ''}`,
    );
    for (const e of page.entries) {
      if (e.kind === 'rejected') report.rejected.push({ line: e.line, reason: e.reason });
      else report.warnings.push({ line: e.line, message: e.reason });
    }
    cursor = page.next;
  } while (cursor);
  const reason = job.failure?.reason ?? 'no reason given';
  printAnswer(ctx, { job: accepted.id, ...(failed ? { status: 'failed', failure: reason } : {}), ...report }, () => reportText(report, file));
  if (failed) throw new CliError(`Import job ${accepted.id} failed: ${reason}`);
  return 0;
}

async function importFile(ctx: Context): Promise<number> {
  const [file = ''] = ctx.args;
  const size = chunkSize(ctx);
  let text: string;
  try {
    // Decoded as the server would (BOM, UTF-16, Windows-1252): what is sent on is UTF-8.
    text = decodeText(readFileSync(file)).text;
  } catch (e) {
    throw new CliError(`Cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const format = detectFormat(file, text, stringOption(ctx, 'format'));
  const chunks = chunkFile(text, format, size);
  const total = chunks.reduce((n, c) => n + c.lines.length, 0);
  if (total === 0) throw new CliError(`${file} has no rows to import${format === 'csv' ? ' (a CSV needs a header row and at least one row under it)' : ''}.`);
  // Files above what one synchronous request takes go as an import job, unless --sync asks for chunked requests.
  if (ctx.values.job === true && ctx.values.sync === true) throw new UsageError('--job and --sync exclude each other', 'recipients import');
  const mode = ctx.values.job === true ? 'job' : ctx.values.sync === true ? 'sync' : total > MAX_CHUNK_ROWS ? 'job' : 'sync';
  if (mode === 'job') return importAsJob(ctx, file, text, format);

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
        job: { type: 'boolean', help: `import as one import job (POST /v1/imports) with a progress bar; the default above ${count(MAX_CHUNK_ROWS)} rows` },
        sync: { type: 'boolean', help: 'import in chunks of synchronous requests, whatever the size' },
      },
      examples: [
        'sendwell recipients import people.csv',
        'sendwell recipients import people.jsonl --chunk-size 800 --json > report.json',
        'sendwell recipients import everyone.csv --job',
        '# people.csv: email,country,locale,topic:news,consent_at,consent_source,plan',
      ],
      run: importFile,
    },
  },
};
