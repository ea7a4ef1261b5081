/**
 * Import jobs, in the campaigns table (the operations table: topics, templates, campaigns, and now imports):
 *
 * | pk / sk                          | item                                                                        |
 * |----------------------------------|-----------------------------------------------------------------------------|
 * | `IMPORT#id / JOB`                | the job: status, totals, counters (ADDed as chunks settle)                   |
 * | `IMPORT#id / CHUNK#000042`       | a chunk's rows (JSON) until it is done, how many are settled (`offset`), its report entries |
 *
 * A job whose file is uploaded to the bucket (`upload`) gets its chunks as the worker reads the file, piece by piece;
 * where reading stands (`upload.bytesRead`) moves conditionally, like a chunk's offset.
 *
 * A job ends `completed` (every chunk done) or `failed` (`markFailed`, with its reason): both final, conditionally.
 *
 * A chunk's progress and the job's counters move in one transaction, conditional on the chunk's `offset`: a step
 * is counted once, however often its queue message comes (a second delivery finds the offset moved and skips what
 * is done). The step that finishes a chunk also removes its rows (addresses, attributes), in the same write: what
 * stays is the report (lines and reasons), so an erased person's row does not wait for the job to expire. Every item
 * expires with the job (`expiresAt`, 30 days).
 */
import { BatchWriteCommand, GetCommand, PutCommand, QueryCommand, TransactWriteCommand, UpdateCommand, type Db } from './db.ts';
import { decodeCursor, encodeCursor } from '../../domain/cursor.ts';
import { entryBytes } from '../../domain/import-lines.ts';
import type { ImportJob } from '../../schemas/imports.ts';
import { cancellationReasons, inLanes, isConditionFailure } from './tables.ts';

export const IMPORT_RETENTION_DAYS = 30;

export interface StoredImportJob {
  readonly id: string;
  readonly status: ImportJob['status'];
  readonly format: 'csv' | 'jsonl';
  readonly encoding?: string;
  readonly total: number;
  readonly rowsDone: number;
  readonly created: number;
  readonly updated: number;
  readonly unchanged: number;
  readonly rejected: number;
  readonly warned: number;
  readonly chunks: number;
  readonly chunksDone: number;
  readonly createdAt: string;
  readonly startedAt?: string;
  readonly completedAt?: string;
  readonly createdBy: string;
  /** A file uploaded to the bucket (not in the request): where reading it stands. */
  readonly upload?: UploadProgress;
  /** True while the file is still being read into chunks: the job cannot complete before. */
  readonly reading?: boolean;
  /** Why a `failed` job stopped, and when. */
  readonly failure?: ImportFailure;
}

export interface ImportFailure {
  readonly reason: string;
  readonly at: string;
}

export interface UploadProgress {
  readonly key: string;
  /** Bytes of the file read into chunks so far (a line boundary). */
  readonly bytesRead: number;
  /** Lines of the file up to there. */
  readonly lines: number;
  /** The file's size, once read from. */
  readonly size?: number;
  /** A CSV file's header line, read with the first piece. */
  readonly header?: string;
}

export interface ImportReportEntry {
  readonly line: number;
  readonly kind: 'rejected' | 'warning';
  readonly reason: string;
}

export interface StoredChunk {
  readonly n: number;
  /** The chunk's rows as `Parsed` (JSON text); `[]` once the chunk is done (its rows are removed then). */
  readonly rows: string;
  readonly count: number;
  readonly offset: number;
  readonly done: boolean;
  /** Bytes its report entries take already (as `entryBytes` counts them): what a step may still add. */
  readonly reportBytes: number;
}

export interface StepCounts {
  readonly created: number;
  readonly updated: number;
  readonly unchanged: number;
  readonly rejected: number;
  /** Warnings the step gave: more than its entries when its report was cut short. */
  readonly warned: number;
}

const jobKey = (id: string) => ({ pk: `IMPORT#${id}`, sk: 'JOB' });
const chunkKey = (id: string, n: number) => ({ pk: `IMPORT#${id}`, sk: `CHUNK#${String(n).padStart(6, '0')}` });
const REPORT_KEY_SHAPE = { sk: (v: string) => /^CHUNK#\d{6}$/.test(v) };

export class ImportStore {
  readonly #db: Db;
  readonly #table: string;

  constructor(db: Db, table: string) {
    this.#db = db;
    this.#table = table;
  }

  #expiresAt(now: string): number {
    return Math.floor(new Date(now).getTime() / 1000) + IMPORT_RETENTION_DAYS * 86_400;
  }

  /** Stores the job and its chunks (each chunk before the job is visible as queued). */
  async create(job: StoredImportJob, chunks: ReadonlyArray<{ rows: string; count: number; report: readonly ImportReportEntry[] }>): Promise<void> {
    const expiresAt = this.#expiresAt(job.createdAt);
    // 25 chunks a BatchWriteItem, four calls in flight: a 100,000-row file (400 chunks) is stored in a few calls.
    // The job id is new (random), so no condition is needed; the job item, written last, makes the chunks visible.
    const items = chunks.map((c, k) => ({ ...chunkKey(job.id, k), ...(c.count ? { rows: c.rows } : {}), count: c.count, offset: 0, done: c.count === 0, report: c.report, expiresAt }));
    const groups: Array<typeof items> = [];
    for (let i = 0; i < items.length; i += 25) groups.push(items.slice(i, i + 25));
    for (let i = 0; i < groups.length; i += 4) {
      await Promise.all(
        groups.slice(i, i + 4).map(async (group) => {
          let pending: Array<Record<string, unknown>> = group.map((Item) => ({ PutRequest: { Item } }));
          for (let attempt = 0; pending.length; attempt++) {
            if (attempt > 8) throw new Error('could not store every chunk of the import');
            if (attempt) await new Promise((r) => setTimeout(r, 50 * 2 ** attempt));
            const out = await this.#db.send(new BatchWriteCommand({ RequestItems: { [this.#table]: pending as never } }));
            pending = (out.UnprocessedItems?.[this.#table] as Array<Record<string, unknown>> | undefined) ?? [];
          }
        }),
      );
    }
    await this.#db.send(new PutCommand({ TableName: this.#table, Item: { ...jobKey(job.id), ...job, expiresAt }, ConditionExpression: 'attribute_not_exists(pk)' }));
  }

  async get(id: string): Promise<StoredImportJob | undefined> {
    const out = await this.#db.send(new GetCommand({ TableName: this.#table, Key: jobKey(id), ConsistentRead: true }));
    if (!out.Item) return undefined;
    const { pk: _pk, sk: _sk, expiresAt: _e, ...job } = out.Item;
    return job as StoredImportJob;
  }

  async chunk(id: string, n: number): Promise<StoredChunk | undefined> {
    const out = await this.#db.send(new GetCommand({ TableName: this.#table, Key: chunkKey(id, n), ConsistentRead: true }));
    if (!out.Item) return undefined;
    const report = (out.Item.report as ImportReportEntry[] | undefined) ?? [];
    return {
      n,
      rows: typeof out.Item.rows === 'string' ? out.Item.rows : '[]',
      count: Number(out.Item.count),
      offset: Number(out.Item.offset),
      done: out.Item.done === true,
      reportBytes: report.reduce((b, e) => b + entryBytes(e), 0),
    };
  }

  /** The job is running from `at` (once: the first chunk to start sets it). */
  async markStarted(id: string, at: string): Promise<void> {
    await this.#runFrom(id, 'queued', at);
  }

  /**
   * Records that rows `from … from + n` of chunk `chunk` are settled with `counts` and `entries`, and adds them to
   * the job, in one transaction conditional on the chunk's offset still being `from`; the `last` step of a chunk
   * removes its rows. False: another delivery recorded this step first (nothing was written).
   */
  async recordStep(id: string, chunk: number, from: number, n: number, last: boolean, counts: StepCounts, entries: readonly ImportReportEntry[]): Promise<boolean> {
    try {
      await this.#db.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: this.#table,
                Key: chunkKey(id, chunk),
                UpdateExpression: `SET #offset = :to, #done = :done, #report = list_append(#report, :entries)${last ? ' REMOVE #rows' : ''}`,
                ConditionExpression: '#offset = :from',
                ExpressionAttributeNames: { '#offset': 'offset', '#done': 'done', '#report': 'report', ...(last ? { '#rows': 'rows' } : {}) },
                ExpressionAttributeValues: { ':from': from, ':to': from + n, ':done': last, ':entries': entries },
              },
            },
            {
              Update: {
                TableName: this.#table,
                Key: jobKey(id),
                UpdateExpression: `ADD rowsDone :n, created :c, updated :u, unchanged :x, rejected :r, warned :w${last ? ', chunksDone :one' : ''}`,
                ExpressionAttributeValues: {
                  ':n': n,
                  ':c': counts.created,
                  ':u': counts.updated,
                  ':x': counts.unchanged,
                  ':r': counts.rejected,
                  ':w': counts.warned,
                  ...(last ? { ':one': 1 } : {}),
                },
              },
            },
          ],
        }),
      );
      return true;
    } catch (e) {
      if (cancellationReasons(e)?.[0] === 'ConditionalCheckFailed') return false;
      throw e;
    }
  }

  /**
   * Stores chunks `first…` of a job whose file is read piece by piece, each only if it is not there yet: a piece read
   * again after a crash never resets a chunk that is already being imported. 8 conditional puts at once.
   */
  async putChunksOnce(id: string, first: number, chunks: ReadonlyArray<{ rows: string; count: number; report: readonly ImportReportEntry[] }>, createdAt: string): Promise<void> {
    const expiresAt = this.#expiresAt(createdAt);
    await inLanes(chunks, 8, async (c, k) => {
      try {
        await this.#db.send(
          new PutCommand({
            TableName: this.#table,
            Item: { ...chunkKey(id, first + k), ...(c.count ? { rows: c.rows } : {}), count: c.count, offset: 0, done: c.count === 0, report: c.report, expiresAt },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        );
      } catch (e) {
        if (!isConditionFailure(e)) throw e;
      }
    });
  }

  /** An uploaded file is being read: the job runs from `at` (once). */
  async markReading(id: string, at: string): Promise<void> {
    await this.#runFrom(id, 'awaitingUpload', at);
  }

  /** `from` → running, with its start time; a job already past `from` is left as it is. */
  async #runFrom(id: string, from: 'queued' | 'awaitingUpload', at: string): Promise<void> {
    try {
      await this.#db.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: jobKey(id),
          UpdateExpression: 'SET #status = :running, startedAt = :at',
          ConditionExpression: '#status = :from',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':running': 'running', ':from': from, ':at': at },
        }),
      );
    } catch (e) {
      if (!isConditionFailure(e)) throw e;
    }
  }

  /**
   * Records a piece of an uploaded file as read: its chunks and rows added to the job, reading moved from `from` to
   * `progress.bytesRead`, conditional on it still standing at `from` (false: another delivery recorded it first) and
   * on the job not having failed meanwhile (false too: its reading stays stopped).
   */
  async recordRead(
    id: string,
    from: number,
    progress: UploadProgress,
    added: { rows: number; chunks: number; chunksDone: number; warned: number; rejected: number },
    done: boolean,
    encoding?: string,
  ): Promise<boolean> {
    try {
      await this.#db.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: jobKey(id),
          UpdateExpression: `SET #upload = :upload, reading = :reading${encoding ? ', encoding = :encoding' : ''} ADD #total :rows, chunks :chunks, chunksDone :chunksDone, warned :warned, rejected :rejected`,
          ConditionExpression: '#upload.bytesRead = :from AND #status <> :failed',
          ExpressionAttributeNames: { '#upload': 'upload', '#total': 'total', '#status': 'status' },
          ExpressionAttributeValues: {
            ':failed': 'failed',
            ':upload': progress,
            ':reading': !done,
            ':from': from,
            ':rows': added.rows,
            ':chunks': added.chunks,
            ':chunksDone': added.chunksDone,
            ':warned': added.warned,
            ':rejected': added.rejected,
            ...(encoding ? { ':encoding': encoding } : {}),
          },
        }),
      );
      return true;
    } catch (e) {
      if (isConditionFailure(e)) return false;
      throw e;
    }
  }

  /** Marks the job completed once every chunk is done (once; false when it is not yet, or was already, or failed). */
  async completeIfDone(id: string, at: string): Promise<boolean> {
    try {
      await this.#db.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: jobKey(id),
          UpdateExpression: 'SET #status = :completed, completedAt = :at',
          // An uploaded file still being read has more chunks to come; a failed job stays failed.
          ConditionExpression: 'chunksDone >= chunks AND #status <> :completed AND #status <> :failed AND (attribute_not_exists(reading) OR reading = :false)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':completed': 'completed', ':failed': 'failed', ':at': at, ':false': false },
        }),
      );
      return true;
    } catch (e) {
      if (isConditionFailure(e)) return false;
      throw e;
    }
  }

  /**
   * Marks the job `failed` with `failure` (once: false when it had already completed or failed) and stops any reading
   * of its file. Its counts, report and the rows already applied are left as they are.
   */
  async markFailed(id: string, failure: ImportFailure): Promise<boolean> {
    try {
      await this.#db.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: jobKey(id),
          UpdateExpression: 'SET #status = :failed, failure = :failure, reading = :false',
          ConditionExpression: 'attribute_exists(pk) AND #status <> :completed AND #status <> :failed',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':failed': 'failed', ':completed': 'completed', ':failure': failure, ':false': false },
        }),
      );
      return true;
    } catch (e) {
      if (isConditionFailure(e)) return false;
      throw e;
    }
  }

  /** Removes the rows of a chunk that will not be imported (its job failed): addresses wait for no expiry. */
  async dropRows(id: string, chunk: number): Promise<void> {
    try {
      await this.#db.send(
        new UpdateCommand({ TableName: this.#table, Key: chunkKey(id, chunk), UpdateExpression: 'REMOVE #rows', ConditionExpression: 'attribute_exists(pk)', ExpressionAttributeNames: { '#rows': 'rows' } }),
      );
    } catch (e) {
      if (!isConditionFailure(e)) throw e;
    }
  }

  /** Report entries of the job's chunks, `chunksPerPage` chunks a page, in line order; `cursor` as the last `next`. */
  async report(id: string, cursor: string | undefined, chunksPerPage = 20): Promise<{ entries: ImportReportEntry[]; next?: string }> {
    const start = cursor ? decodeCursor(cursor, 'imports', REPORT_KEY_SHAPE) : undefined;
    const out = await this.#db.send(
      new QueryCommand({
        TableName: this.#table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :chunk)',
        ExpressionAttributeValues: { ':pk': `IMPORT#${id}`, ':chunk': 'CHUNK#' },
        ProjectionExpression: 'pk, sk, #report',
        ExpressionAttributeNames: { '#report': 'report' },
        Limit: chunksPerPage,
        ConsistentRead: true,
        ...(start ? { ExclusiveStartKey: { pk: `IMPORT#${id}`, sk: start.sk } } : {}),
      }),
    );
    const entries = (out.Items ?? []).flatMap((i) => (i.report as ImportReportEntry[] | undefined) ?? []).sort((a, b) => a.line - b.line);
    const last = out.LastEvaluatedKey?.sk as string | undefined;
    return last ? { entries, next: encodeCursor('imports', { sk: last }) } : { entries };
  }
}
