/**
 * Import jobs (`POST /v1/imports`): a file of any size is read once, split into chunks kept in DynamoDB, and each
 * chunk is imported by the import worker from its own queue message, in steps of `STEP_ROWS` rows. Each step's
 * outcome (counts and report entries) is recorded with the chunk's offset in one conditional transaction, so:
 *
 * - a worker that dies (or `npm start` killed) mid-chunk leaves the offset at the last recorded step; the message
 *   comes again and the chunk resumes there: no row is lost;
 * - a row is applied by the same code as a synchronous import (`importParsedRows`), which is idempotent on the data:
 *   a recipient is created only if its address is not taken, a consent written only if it changes, each with its
 *   ledger entry in the same transaction — so a step done again never applies a row twice. What a step done again
 *   can change is its counts: rows of a step that was applied but not recorded (a crash in between) are counted as
 *   `unchanged` the second time. The data is exact; the counts are exact unless such a crash happened.
 *
 * Rows with the same address in one step are merged as in a synchronous import; across steps the later row is
 * applied after the earlier one (chunks run in parallel, so across chunks their order is not guaranteed).
 */
import { randomBytes } from 'node:crypto';
import * as z from 'zod';
import { SendwellError } from '../domain/errors.ts';
import type { ImportReportEntry, ImportStore, StoredImportJob } from '../adapters/dynamo/import-store.ts';
import type { ImportJob } from '../schemas/imports.ts';
import type { Actor, Deps } from './deps.ts';
import { importParsedRows, parseImportFile, type ImportFormat, type Parsed } from './import-recipients.ts';

/** Rows per chunk (one queue message). */
export const CHUNK_ROWS = 250;
/** Bytes of a chunk's rows, at most: the chunk item (rows + report) stays well under DynamoDB's 400 KB. */
export const CHUNK_BYTES = 150_000;
/** Rows per recorded step within a chunk: the most a crash can make the job re-read. */
export const STEP_ROWS = 100;
/** Rows a job takes (the file itself is limited by the request: 10 MB through API Gateway). */
export const MAX_JOB_ROWS = 1_000_000;
const MAX_REASON = 300;

export interface ImportChunkMessage {
  readonly jobId: string;
  readonly chunk: number;
}

export const ImportChunkMessageSchema = z.object({ jobId: z.string().regex(/^imp_[A-Za-z0-9]{1,40}$/), chunk: z.number().int().min(0) });

/** Where chunk messages go: SQS on AWS, the local queue stand-in on the local stack. */
export interface ImportQueue {
  enqueue(messages: readonly ImportChunkMessage[]): Promise<void>;
}

export interface ImportJobDeps {
  readonly base: Deps;
  readonly store: Pick<ImportStore, 'create' | 'get' | 'chunk' | 'markStarted' | 'recordStep' | 'completeIfDone' | 'report'>;
  readonly queue: ImportQueue;
}

const newJobId = () => `imp_${Date.now().toString(36)}${randomBytes(8).toString('hex')}`;
const clip = (s: string) => (s.length > MAX_REASON ? `${s.slice(0, MAX_REASON - 1)}…` : s);

/** Splits rows into chunks of at most `CHUNK_ROWS` rows and `CHUNK_BYTES` bytes (a single larger row is its own chunk). */
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
    const text = JSON.stringify(row);
    if (current.length && (current.length >= CHUNK_ROWS || bytes + text.length + 1 > CHUNK_BYTES)) flush();
    current.push(text);
    bytes += Buffer.byteLength(text) + 1;
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
  const fileReport: ImportReportEntry[] = file.warnings.map((w) => ({ line: w.line, kind: 'warning', reason: clip(w.message) }));
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
    warned: fileReport.length,
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
  await deps.store.markStarted(job.id, deps.base.clock().toISOString());
  const rows = JSON.parse(chunk.rows) as Parsed[];
  let settled = 0;
  while (!chunk.done && chunk.offset < chunk.count) {
    // A long chunk stops before the function's time is up; the message comes again and resumes at the offset.
    if (options.deadline !== undefined && Date.now() > options.deadline - 15_000) return { settled, finished: false };
    const from = chunk.offset;
    const step = rows.slice(from, from + STEP_ROWS);
    const report = await importParsedRows(deps.base, step, job.createdBy);
    const entries: ImportReportEntry[] = [
      ...report.rejected.map((r) => ({ line: r.line, kind: 'rejected' as const, reason: clip(r.reason) })),
      ...report.warnings.map((w) => ({ line: w.line, kind: 'warning' as const, reason: clip(w.message) })),
    ];
    const last = from + step.length >= chunk.count;
    const counts = { created: report.created, updated: report.updated, unchanged: report.unchanged, rejected: report.rejected.length };
    const recorded = await deps.store.recordStep(job.id, message.chunk, from, step.length, last, counts, entries);
    if (recorded) settled += step.length;
    // Recorded or not (another delivery got there first), read where the chunk stands now and go on from there.
    chunk = (await deps.store.chunk(message.jobId, message.chunk)) ?? { ...chunk, done: true };
  }
  await deps.store.completeIfDone(job.id, deps.base.clock().toISOString());
  return { settled, finished: true };
}

/** The job as `GET /v1/imports/{id}` shows it, with its rate and ETA. */
export async function getImportJob(deps: Pick<ImportJobDeps, 'store' | 'base'>, id: string): Promise<ImportJob> {
  const job = await deps.store.get(id);
  if (!job) throw new SendwellError('not_found', `No import job ${id}.`);
  const now = deps.base.clock().getTime();
  const started = job.startedAt ? new Date(job.startedAt).getTime() : undefined;
  const end = job.completedAt ? new Date(job.completedAt).getTime() : now;
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
    ...(rate !== undefined ? { ratePerSecond: Math.round(rate * 10) / 10 } : {}),
    ...(rate !== undefined && job.status !== 'completed' ? { etaSeconds: Math.ceil((job.total - job.rowsDone) / rate) } : {}),
    ...(job.status === 'completed' ? { etaSeconds: 0 } : {}),
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
