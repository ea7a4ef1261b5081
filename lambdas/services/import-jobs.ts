/**
 * Import jobs (`POST /v1/imports`): a file of any size is read once, split into chunks kept in DynamoDB, and each
 * chunk is imported by the import worker from its own queue message, in steps of `STEP_ROWS` rows. Each step's
 * outcome (counts and report entries) is recorded with the chunk's offset in one conditional transaction, so:
 *
 * - a worker that dies (or `npm start` killed) mid-chunk leaves the offset at the last recorded step; the message
 *   comes again and the chunk resumes there: no row is lost;
 * - a row is applied by the same code as a synchronous import (`importParsedRows`), which is idempotent on the data:
 *   a recipient is created only if its address claim is won, a consent written only if it changes (with its ledger
 *   entry in the same transaction) — so a step done again never applies a row twice. New recipients are written
 *   claim first (with their ledger entries, in one transaction), the rest by BatchWriteItem
 *   (`RecipientStore.claimMany`); each claim names the job and line that won it, so a step done again after a crash
 *   completes its own half-written recipients with the same keys and counts them as created. An update leaves no
 *   such mark: a step done again counts the rows its first attempt updated as unchanged (the data is exact, each
 *   row counted once; `updated` may be low after a retry, as docs/api.md says).
 *
 * Rows with the same address in one step are merged as in a synchronous import; across steps the later row is
 * applied after the earlier one (chunks run in parallel, so across chunks their order is not guaranteed).
 */
import { randomBytes } from 'node:crypto';
import * as z from 'zod';
import { SendwellError } from '../domain/errors.ts';
import type { ImportReportEntry, ImportStore, StoredChunk, StoredImportJob, UploadProgress } from '../adapters/dynamo/import-store.ts';
import type { ImportUploads, PresignedUpload } from '../adapters/import-uploads.ts';
import { logger } from '../adapters/logger.ts';
import { capReport } from '../domain/import-lines.ts';
import { charsetOf, csvHeader, decodeText, detectEncoding, lineEnds, type TextEncoding } from '../domain/text-file.ts';
import type { ImportJob, ImportUploadRequest } from '../schemas/imports.ts';
import type { Actor, Deps } from './deps.ts';
import { importParsedRows, parseImportFile, type ImportFormat, type Parsed } from './import-recipients.ts';

/** Rows per chunk (one queue message). */
export const CHUNK_ROWS = 250;
/** Bytes of a chunk's rows, at most: the chunk item (rows + report) stays well under DynamoDB's 400 KB. */
export const CHUNK_BYTES = 150_000;
/**
 * Bytes of report a chunk keeps, at most (`capReport`; what is left out is counted in one entry): with its rows
 * (`CHUNK_BYTES`) well under the item's 400 KB. 250 rows rejected with a reason of `MAX_REASON` each take ~95 KB.
 */
export const REPORT_BYTES = 200_000;
/** Of that, what the warnings about a file as a whole (its header's columns) may take on the first chunk. */
const FILE_REPORT_BYTES = 50_000;
/**
 * Bytes of one row as a chunk stores it (its JSON), at most; a larger row is rejected on its line ("row too large")
 * instead of making a chunk DynamoDB refuses. The largest row the schemas take in ordinary text is ~155 KB (50
 * attributes of 1,000 three-byte characters, 64-character names), plus its fields and consents; alone in a chunk
 * with a piece's report (`FILE_REPORT_BYTES`), 200 KB stays under the item's 400 KB.
 */
export const MAX_ROW_BYTES = 200_000;
/** Rows per recorded step within a chunk: the most a crash can make the job re-read (a whole chunk: fewer records). */
export const STEP_ROWS = 250;
/** Rows a job takes (the file itself is limited by the request: 10 MB through API Gateway). */
export const MAX_JOB_ROWS = 1_000_000;
const MAX_REASON = 300;

export interface ImportChunkMessage {
  readonly jobId: string;
  readonly chunk: number;
}

/** Read on in an uploaded file (the worker sends it itself when its time is up mid-file). */
export interface ImportReadMessage {
  readonly jobId: string;
  readonly read: true;
}

const JobIdSchema = z.string().regex(/^imp_[A-Za-z0-9]{1,40}$/);
export const ImportChunkMessageSchema = z.object({ jobId: JobIdSchema, chunk: z.number().int().min(0) });
export const ImportReadMessageSchema = z.object({ jobId: JobIdSchema, read: z.literal(true) });

/** Where chunk messages go: SQS on AWS, the local queue stand-in on the local stack. */
export interface ImportQueue {
  enqueue(messages: ReadonlyArray<ImportChunkMessage | ImportReadMessage>): Promise<void>;
}

export interface ImportJobDeps {
  readonly base: Deps;
  readonly store: Pick<
    ImportStore,
    'create' | 'get' | 'chunk' | 'markStarted' | 'recordStep' | 'completeIfDone' | 'report' | 'putChunksOnce' | 'markReading' | 'recordRead' | 'markFailed' | 'dropRows'
  >;
  readonly queue: ImportQueue;
  /** The bucket large files are uploaded to (absent where none is configured: no upload path). */
  readonly uploads?: ImportUploads | undefined;
}

/** Bytes of an uploaded file read at a time: a ranged read, cut back to the last whole line. */
export const READ_BYTES = 2 * 1024 * 1024;
/** How long a pre-signed upload URL is valid. */
export const UPLOAD_URL_SECONDS = 3600;
const CONTENT_TYPES: Record<ImportFormat, string> = { csv: 'text/csv', jsonl: 'application/x-ndjson' };

const newJobId = () => `imp_${Date.now().toString(36)}${randomBytes(8).toString('hex')}`;
const clip = (s: string) => (s.length > MAX_REASON ? `${s.slice(0, MAX_REASON - 1)}…` : s);

/** A row as its chunk stores it: one over `MAX_ROW_BYTES` becomes its rejection. */
function storedRow(r: Parsed): string {
  const text = JSON.stringify(r);
  if (Buffer.byteLength(text) <= MAX_ROW_BYTES) return text;
  // Only its error's own text makes an unread row this large: clipped, as its report entry would be.
  if (r.row === undefined) return JSON.stringify({ line: r.line, error: clip(r.error ?? '') });
  return JSON.stringify({ line: r.line, error: `row too large: ${Buffer.byteLength(JSON.stringify(r.row))} bytes; a row takes at most ${MAX_ROW_BYTES}` });
}

/**
 * Splits rows into chunks of at most `CHUNK_ROWS` rows and `CHUNK_BYTES` bytes (a single larger row, up to
 * `MAX_ROW_BYTES`, is its own chunk).
 */
export function chunkRows(rows: readonly Parsed[]): Array<{ rows: string; count: number }> {
  const chunks: Array<{ rows: string; count: number }> = [];
  let current: string[] = [];
  let bytes = 2;
  const flush = () => {
    if (current.length) chunks.push({ rows: `[${current.join(',')}]`, count: current.length });
    current = [];
    bytes = 2;
  };
  for (const row of rows) {
    const text = storedRow(row);
    const size = Buffer.byteLength(text) + 1;
    if (current.length && (current.length >= CHUNK_ROWS || bytes + size > CHUNK_BYTES)) flush();
    current.push(text);
    bytes += size;
  }
  flush();
  return chunks;
}

/** Reads the file, stores its chunks and queues them. The answer (`{id, status}`) comes before any row is imported. */
export async function createImportJob(deps: ImportJobDeps, text: string, format: ImportFormat, actor: Actor, encoding?: string): Promise<{ id: string; status: 'queued' }> {
  const file = parseImportFile(text, format);
  if (file.rows.length > MAX_JOB_ROWS) {
    throw new SendwellError('payload_too_large', `At most ${MAX_JOB_ROWS} rows per import job; split the file.`, [{ path: 'body', message: `${file.rows.length} rows` }]);
  }
  const chunks = chunkRows(file.rows);
  const fileReport = capReport(file.warnings.map((w) => ({ line: w.line, kind: 'warning' as const, reason: clip(w.message) })), FILE_REPORT_BYTES);
  const id = newJobId();
  const at = deps.base.clock().toISOString();
  const job: StoredImportJob = {
    id,
    status: 'queued',
    format,
    ...(encoding ? { encoding } : {}),
    total: file.rows.length,
    rowsDone: 0,
    created: 0,
    updated: 0,
    unchanged: 0,
    rejected: 0,
    warned: file.warnings.length,
    // An empty file is one empty chunk, done at once.
    chunks: Math.max(1, chunks.length),
    chunksDone: chunks.length === 0 ? 1 : 0,
    createdAt: at,
    createdBy: actor,
  };
  const stored = chunks.length ? chunks.map((c, i) => ({ ...c, report: i === 0 ? fileReport : [] })) : [{ rows: '[]', count: 0, report: fileReport }];
  await deps.store.create(job, stored);
  if (chunks.length === 0) await deps.store.completeIfDone(id, at);
  else await deps.queue.enqueue(chunks.map((_, chunk) => ({ jobId: id, chunk })));
  return { id, status: 'queued' };
}

/**
 * Imports one chunk from where it stands (its offset), step by step, each step recorded before the next starts.
 * Returns the rows this call settled. Throws only on infrastructure errors (the queue delivers it again).
 */
export async function processImportChunk(deps: ImportJobDeps, message: ImportChunkMessage, options: { deadline?: number } = {}): Promise<{ settled: number; finished: boolean }> {
  const job = await deps.store.get(message.jobId);
  let chunk = await deps.store.chunk(message.jobId, message.chunk);
  if (!job || !chunk) return { settled: 0, finished: true };
  // A failed job is final: a chunk not yet imported never is, not even from a message redriven from the dead letters.
  if (job.status === 'failed') {
    if (!chunk.done) await deps.store.dropRows(job.id, message.chunk);
    return { settled: 0, finished: true };
  }
  if (job.status === 'queued') await deps.store.markStarted(job.id, deps.base.clock().toISOString());
  // A done chunk has no rows left (the last step removed them); the loop below then does nothing.
  const rows = JSON.parse(chunk.rows) as Parsed[];
  let settled = 0;
  while (!chunk.done && chunk.offset < chunk.count) {
    // A long chunk stops before the function's time is up; the message comes again and resumes at the offset.
    if (options.deadline !== undefined && Date.now() > options.deadline - 15_000) return { settled, finished: false };
    const from: number = chunk.offset;
    const step = rows.slice(from, from + STEP_ROWS);
    // While every settled row of the job was new (a list imported the first time), claims are tried before any read.
    const likelyNew = job.updated + job.unchanged === 0;
    const report = await importParsedRows(deps.base, step, job.createdBy, [], job.id, likelyNew);
    // Never more than the chunk's item can take: a step whose report did not fit would fail the same way forever.
    const entries = capReport(
      [
        ...report.rejected.map((r) => ({ line: r.line, kind: 'rejected' as const, reason: clip(r.reason) })),
        ...report.warnings.map((w) => ({ line: w.line, kind: 'warning' as const, reason: clip(w.message) })),
      ],
      Math.max(0, REPORT_BYTES - chunk.reportBytes),
    );
    const last: boolean = from + step.length >= chunk.count;
    const counts = { created: report.created, updated: report.updated, unchanged: report.unchanged, rejected: report.rejected.length, warned: report.warnings.length };
    let recorded: boolean;
    try {
      recorded = await deps.store.recordStep(job.id, message.chunk, from, step.length, last, counts, entries);
    } catch (e) {
      if (!refused(e)) throw e;
      // DynamoDB refuses the write as it is (an item too large, say): done again it would be refused again, and the
      // job would stall while claiming to run. The rows are applied and counted; one entry says their report is lost.
      logger.error('import: step report refused by DynamoDB; recorded without it', { jobId: job.id, chunk: message.chunk, from, error: e as Error });
      const lines = step.map((r) => r.line);
      const lost: ImportReportEntry = {
        line: lines[0] ?? 1,
        kind: 'warning',
        reason: `the report of lines ${lines[0]}–${lines.at(-1)} (${entries.length} entr${entries.length === 1 ? 'y' : 'ies'}) could not be stored; the job's counts include them`,
      };
      recorded = await deps.store.recordStep(job.id, message.chunk, from, step.length, last, { ...counts, warned: counts.warned + 1 }, [lost]);
    }
    if (recorded) {
      settled += step.length;
      chunk = { ...chunk, offset: from + step.length, done: last };
    } else {
      // Another delivery recorded this step first: read where the chunk stands now and go on from there.
      chunk = (await deps.store.chunk(message.jobId, message.chunk)) ?? { ...chunk, done: true };
    }
  }
  await deps.store.completeIfDone(job.id, deps.base.clock().toISOString());
  return { settled, finished: true };
}

/** DynamoDB refused the request itself (not a condition, not a throttle): the same request can never succeed. */
function refused(e: unknown): boolean {
  const name = (e as Error)?.name;
  if (name === 'ValidationException') return true;
  if (name !== 'TransactionCanceledException') return false;
  const codes = ((e as { CancellationReasons?: Array<{ Code?: string }> }).CancellationReasons ?? []).map((r) => r.Code);
  return codes.includes('ValidationError');
}

/** The job as `GET /v1/imports/{id}` shows it, with its rate and ETA. */
export async function getImportJob(deps: Pick<ImportJobDeps, 'store' | 'base'>, id: string): Promise<ImportJob> {
  const job = await deps.store.get(id);
  if (!job) throw new SendwellError('not_found', `No import job ${id}.`);
  const now = deps.base.clock().getTime();
  const started = job.startedAt ? new Date(job.startedAt).getTime() : undefined;
  const ended = job.completedAt ?? job.failure?.at;
  const end = ended ? new Date(ended).getTime() : now;
  const seconds = started !== undefined ? Math.max(0.001, (end - started) / 1000) : undefined;
  const rate = seconds !== undefined && job.rowsDone > 0 ? job.rowsDone / seconds : undefined;
  return {
    id: job.id,
    status: job.status,
    format: job.format,
    ...(job.encoding ? { encoding: job.encoding } : {}),
    rows: { total: job.total, done: job.rowsDone },
    created: job.created,
    updated: job.updated,
    unchanged: job.unchanged,
    rejected: job.rejected,
    warned: job.warned,
    chunks: { total: job.chunks, done: job.chunksDone },
    ...(job.upload ? { upload: { bytesRead: job.upload.bytesRead, ...(job.upload.size !== undefined ? { bytesTotal: job.upload.size } : {}) } } : {}),
    ...(rate !== undefined ? { ratePerSecond: Math.round(rate * 10) / 10 } : {}),
    ...(rate !== undefined && job.status !== 'completed' && job.status !== 'failed' && !job.reading ? { etaSeconds: Math.ceil((job.total - job.rowsDone) / rate) } : {}),
    ...(job.status === 'completed' ? { etaSeconds: 0 } : {}),
    ...(job.status === 'failed' && job.failure ? { failure: { reason: job.failure.reason, at: job.failure.at } } : {}),
    createdAt: job.createdAt,
    ...(job.startedAt ? { startedAt: job.startedAt } : {}),
    ...(job.completedAt ? { completedAt: job.completedAt } : {}),
    createdBy: job.createdBy,
  };
}

export async function getImportReport(deps: Pick<ImportJobDeps, 'store'>, id: string, cursor?: string) {
  const job = await deps.store.get(id);
  if (!job) throw new SendwellError('not_found', `No import job ${id}.`);
  const page = await deps.store.report(id, cursor);
  return { id, status: job.status, entries: page.entries, ...(page.next ? { next: page.next } : {}) };
}

/**
 * `POST /v1/imports` with `{upload: {format, charset?}}`: a job that waits for its file at a pre-signed URL (the
 * bucket on AWS, the local gateway's upload endpoint locally). The file's arrival starts it (an S3 event on the
 * import queue), so a file of any size never passes through the API and its 10 MB limit.
 */
export async function requestImportUpload(deps: ImportJobDeps, request: ImportUploadRequest['upload'], actor: Actor): Promise<{ id: string; status: 'awaitingUpload'; upload: PresignedUpload }> {
  if (!deps.uploads) throw new SendwellError('unsupported_media_type', 'Uploads are not configured here: send the file as the body of POST /v1/imports.');
  const id = newJobId();
  const now = deps.base.clock();
  const declared = request.charset ? charsetOf(`x; charset=${request.charset}`) : undefined;
  const job: StoredImportJob = {
    id,
    status: 'awaitingUpload',
    format: request.format,
    ...(declared ? { encoding: declared } : {}),
    total: 0,
    rowsDone: 0,
    created: 0,
    updated: 0,
    unchanged: 0,
    rejected: 0,
    warned: 0,
    chunks: 0,
    chunksDone: 0,
    createdAt: now.toISOString(),
    createdBy: actor,
    upload: { key: `imports/${id}`, bytesRead: 0, lines: 0 },
    reading: true,
  };
  await deps.store.create(job, []);
  const upload = await deps.uploads.presignPut(`imports/${id}`, CONTENT_TYPES[request.format], UPLOAD_URL_SECONDS, now);
  return { id, status: 'awaitingUpload', upload };
}

/**
 * The end of the last whole line in `bytes` (0: none), for CSV outside quotes; UTF-16 in code units. A line ends at
 * LF, CRLF or a lone CR, as both parsers read it (classic Mac files), except a CR that is the last unit: its LF may
 * be the next piece's first, and a piece must not end between the two (the next would start with a line of its own).
 */
function lastLineEnd(bytes: Buffer, encoding: TextEncoding, csv: boolean): number {
  const wide = encoding === 'utf-16le' || encoding === 'utf-16be';
  const step = wide ? 2 : 1;
  const unit = (i: number) => (!wide ? bytes[i]! : encoding === 'utf-16le' ? bytes[i]! | (bytes[i + 1]! << 8) : (bytes[i]! << 8) | bytes[i + 1]!);
  let quoted = false;
  let end = 0;
  let anyEnd = 0;
  for (let i = 0; i + step <= bytes.length; i += step) {
    const u = unit(i);
    if (u === 0x22 && csv) quoted = !quoted;
    else if (u === 0x0a || (u === 0x0d && i + 2 * step <= bytes.length)) {
      anyEnd = i + step;
      if (!quoted) end = i + step;
    }
  }
  // A stray quote (a broken record) leaves no line end outside quotes: cut at the last line end, as the parser resumes.
  return end || anyEnd;
}

/**
 * Reads an uploaded file into chunks, a piece (`READ_BYTES`, cut back to a whole line) at a time. Each piece's
 * chunks are stored (each only once), queued, then the piece is recorded with where reading stands, conditionally:
 * a worker that dies mid-piece leaves the job at the last recorded piece, and the piece read again stores no chunk
 * twice (a chunk queued twice is imported once: its offset). Rows are numbered by their line in the whole file.
 * Returns false when its time is up (a message to read on has been queued).
 */
export async function readUploadedFile(deps: ImportJobDeps, jobId: string, options: { deadline?: number; pieceBytes?: number } = {}): Promise<{ finished: boolean; rows: number }> {
  const uploads = deps.uploads;
  if (!uploads) throw new Error('no upload store configured');
  let rowsRead = 0;
  for (;;) {
    const job = await deps.store.get(jobId);
    if (!job?.upload || !job.reading) return { finished: true, rows: rowsRead };
    if (options.deadline !== undefined && Date.now() > options.deadline - 20_000) {
      await deps.queue.enqueue([{ jobId, read: true }]);
      return { finished: false, rows: rowsRead };
    }
    const from = job.upload.bytesRead;
    const piece = await uploads.read(job.upload.key, from, options.pieceBytes ?? READ_BYTES);
    // Not uploaded (yet): the object's arrival sends the message again.
    if (!piece) return { finished: true, rows: rowsRead };
    const at = deps.base.clock().toISOString();
    await deps.store.markReading(jobId, at);
    const eof = from + piece.bytes.length >= piece.size;
    const first = from === 0;
    const declared = job.encoding as TextEncoding | undefined;
    // The encoding: declared, else detected from the first piece cut to whole lines (a cut character is not UTF-8).
    const rough = declared ?? detectEncoding(piece.bytes);
    const cut = eof ? piece.bytes.length : lastLineEnd(piece.bytes, rough, job.format === 'csv');
    const bytes = piece.bytes.subarray(0, cut);
    const encoding: TextEncoding = first ? decodeText(bytes, declared).encoding : (declared ?? rough);
    const text = first ? decodeText(bytes, encoding).text : new TextDecoder(encoding).decode(bytes);
    const entries: ImportReportEntry[] = [];
    let rows: Parsed[] = [];
    let header = job.upload.header;
    let stop = false;
    // The file itself refused (its header): nothing of it can be imported, so the job fails saying why.
    let refusal: string | undefined;
    if (cut === 0 && !eof) {
      entries.push({ line: job.upload.lines + 1, kind: 'rejected', reason: `a line longer than ${options.pieceBytes ?? READ_BYTES} bytes; the rest of the file was not read` });
      stop = true;
    } else {
      try {
        if (job.format === 'csv' && first) {
          const file = parseImportFile(text, 'csv');
          // The header as the parser read it (blank lines before it skipped), not the first physical line.
          header = csvHeader(text);
          rows = file.rows;
          entries.push(...file.warnings.map((w) => ({ line: w.line, kind: 'warning' as const, reason: clip(w.message) })));
        } else if (job.format === 'csv') {
          // Later pieces are read under the header; their lines count on from where the last piece ended (a header
          // may span lines: a quoted line break).
          const headerLines = 1 + lineEnds(header ?? '');
          const shift = job.upload.lines - headerLines;
          const file = parseImportFile(`${header ?? ''}\n${text}`, 'csv');
          rows = file.rows.map((r) => ({ ...r, line: r.line + shift }));
          entries.push(...file.warnings.filter((w) => w.line > headerLines).map((w) => ({ line: w.line + shift, kind: 'warning' as const, reason: clip(w.message) })));
        } else {
          rows = parseImportFile(text, 'jsonl').rows.map((r) => ({ ...r, line: r.line + job.upload!.lines }));
        }
      } catch (e) {
        if (!(e instanceof SendwellError)) throw e;
        refusal = clip(`${e.message} ${e.details.map((d) => d.message).join('; ')}`.trim());
        entries.push({ line: 1, kind: 'rejected', reason: refusal });
        stop = true;
      }
    }
    if (job.total + rows.length > MAX_JOB_ROWS) {
      rows = rows.slice(0, MAX_JOB_ROWS - job.total);
      entries.push({ line: (rows.at(-1)?.line ?? job.upload.lines) + 1, kind: 'warning', reason: `at most ${MAX_JOB_ROWS} rows per import job: the rest of the file was not read` });
      stop = true;
    }
    const chunks: Array<{ rows: string; count: number; report: ImportReportEntry[] }> = chunkRows(rows).map((c) => ({ ...c, report: [] }));
    // The piece's own report entries (file warnings, a stop) ride on its first chunk, or on an empty one.
    if (entries.length) {
      const kept = capReport(entries, FILE_REPORT_BYTES);
      if (chunks[0]) chunks[0].report = kept;
      else chunks.push({ rows: '[]', count: 0, report: kept });
    }
    await deps.store.putChunksOnce(jobId, job.chunks, chunks, job.createdAt);
    const queued = chunks.map((c, k) => ({ c, k })).filter(({ c }) => c.count > 0);
    if (queued.length) await deps.queue.enqueue(queued.map(({ k }) => ({ jobId, chunk: job.chunks + k })));
    // Counted as the parsers count them: a line ends at CRLF, LF or a lone CR, in CSV and JSON lines alike.
    const lines = job.upload.lines + lineEnds(text);
    const progress: UploadProgress = { key: job.upload.key, bytesRead: from + cut, lines, size: piece.size, ...(header !== undefined ? { header } : {}) };
    const done = eof || stop;
    // Report-only chunks (no rows) are done as they are stored; a rejection of the file itself counts as rejected.
    const added = {
      rows: rows.length,
      chunks: chunks.length,
      chunksDone: chunks.filter((c) => c.count === 0).length,
      warned: entries.filter((e) => e.kind === 'warning').length,
      rejected: entries.filter((e) => e.kind === 'rejected').length,
    };
    if (await deps.store.recordRead(jobId, from, progress, added, done, first && !declared ? encoding : undefined)) rowsRead += rows.length;
    if (done) {
      if (refusal !== undefined) await deps.store.markFailed(jobId, { reason: `The file was not imported: ${refusal}`, at: deps.base.clock().toISOString() });
      else await deps.store.completeIfDone(jobId, deps.base.clock().toISOString());
      // Read to the end and recorded: the chunks hold the rows, the file (addresses and all) need not wait for the
      // bucket's expiry. A failed delete leaves it to that expiry.
      await uploads.remove(job.upload.key).catch((e: unknown) => logger.warn('import: uploaded file not deleted; it expires with the bucket rule', { jobId, error: e as Error }));
      return { finished: true, rows: rowsRead };
    }
  }
}

/** The cause of a chunk that stopped for its function's time on its last receive (no error was thrown). */
export const OUT_OF_TIME = 'out of time';

/** What failed on a message's last receive: a chunk (its import), or the reading of an uploaded file. */
export type ImportGiveUp = { readonly chunk: number; readonly cause: unknown } | { readonly read: true; readonly cause: unknown };

/**
 * Marks a job `failed` when one of its queue messages failed on its last receive (`IMPORT_MAX_RECEIVES`): SQS moves it
 * to the dead-letter queue next, and the job would otherwise say `running` forever. The reason names the lines (or the
 * byte of the file) not imported and the error's kind only: an error's message may quote a row (an address), so
 * neither it nor its stack goes to the caller (the worker's log has them). The chunk's rows are removed. False: the job
 * had completed or failed already, or is gone.
 */
export async function failImportJob(deps: Pick<ImportJobDeps, 'store' | 'base' | 'uploads'>, jobId: string, what: ImportGiveUp, attempts: number): Promise<boolean> {
  const job = await deps.store.get(jobId);
  if (!job || job.status === 'completed') return false;
  // Failed already (another chunk's last receive came first): this chunk's rows go all the same.
  if (job.status === 'failed') {
    if ('chunk' in what) await deps.store.dropRows(jobId, what.chunk);
    return false;
  }
  const cause = errorKind(what.cause);
  let stopped: string;
  if ('chunk' in what) {
    const chunk = await deps.store.chunk(jobId, what.chunk);
    // "Fully": a step that failed may have applied some of its rows first (never twice: docs/api.md).
    stopped = `${linesLeft(chunk) ?? `the rows of chunk ${what.chunk + 1}`} could not be fully imported (${attempts} attempts; ${cause}).`;
  } else {
    const read = job.upload?.bytesRead ?? 0;
    stopped = `the uploaded file could not be read${read ? ` past byte ${read.toLocaleString('en-US')}` : ''} (${attempts} attempts; ${cause}).`;
  }
  const reason = `Stopped: ${stopped} Rows already imported stay imported (see the counts); the rest of the file was not imported. Importing it again is safe.`;
  const failed = await deps.store.markFailed(jobId, { reason, at: deps.base.clock().toISOString() });
  if ('chunk' in what) await deps.store.dropRows(jobId, what.chunk);
  // Nothing more of an uploaded file will be read, whichever part failed (a reader still going stops at the job's
  // `reading`): the file need not wait for the bucket's expiry.
  if (job.upload) await deps.uploads?.remove(job.upload.key).catch((e: unknown) => logger.warn('import: uploaded file of a failed job not deleted; it expires with the bucket rule', { jobId, error: e as Error }));
  return failed;
}

/** `lines 251–500`: the lines of a chunk's rows from its offset on (undefined when its rows cannot be read). */
function linesLeft(chunk: StoredChunk | undefined): string | undefined {
  if (!chunk) return undefined;
  try {
    const lines = (JSON.parse(chunk.rows) as Parsed[]).slice(chunk.offset).map((r) => r.line);
    if (!lines.length || !lines.every(Number.isInteger)) return undefined;
    const first = Math.min(...lines);
    const last = Math.max(...lines);
    return first === last ? `line ${first}` : `lines ${first}–${last}`;
  } catch {
    return undefined;
  }
}

/** An AWS error's name (`ProvisionedThroughputExceededException`): a kind, never data. Anything else is ours. */
function errorKind(e: unknown): string {
  const name = (e as Error | undefined)?.name;
  if (typeof name === 'string' && /^[A-Za-z]{1,80}(Exception|Fault)$/.test(name)) return name;
  if (name === 'TimeoutError') return 'timed out';
  if (e === OUT_OF_TIME) return OUT_OF_TIME;
  return 'an internal error, logged';
}
