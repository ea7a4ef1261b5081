/** Import jobs: a file of any size imported in chunks on a queue, with progress and a per-row report. */
import * as z from 'zod';
import { CursorSchema } from './model.ts';

export const ImportJobIdSchema = z.string().regex(/^imp_[A-Za-z0-9]{1,40}$/, 'not an import job id');

export const ImportJobStatusSchema = z
  .enum(['awaitingUpload', 'queued', 'running', 'completed', 'failed'])
  .meta({ description: '`completed` and `failed` are final. `failed`: the job stopped (`failure` says why); rows imported before stay imported.' });

export const ImportJobSchema = z
  .object({
    id: z.string(),
    status: ImportJobStatusSchema,
    format: z.enum(['csv', 'jsonl']),
    encoding: z.string().optional().meta({ description: 'How the file was read: `utf-8`, `utf-16le`, `utf-16be` or `windows-1252`.' }),
    rows: z.object({
      total: z.number().int().meta({ description: 'Rows in the file (header and blank lines not counted).' }),
      done: z.number().int().meta({ description: 'Rows settled so far: created, updated, unchanged or rejected.' }),
    }),
    created: z.number().int(),
    updated: z.number().int(),
    unchanged: z.number().int(),
    rejected: z.number().int(),
    warned: z.number().int().meta({ description: 'Warnings so far (a row or the file can have several); each is in the report.' }),
    chunks: z.object({ total: z.number().int(), done: z.number().int() }),
    upload: z
      .object({
        bytesRead: z.number().int().meta({ description: 'Bytes of the uploaded file read into chunks so far.' }),
        bytesTotal: z.number().int().optional().meta({ description: 'The file\'s size, once the worker has started reading it.' }),
      })
      .optional()
      .meta({ description: 'A file uploaded to the pre-signed URL: how far it has been read. Until it is read through, `rows.total` counts the rows read so far.' }),
    ratePerSecond: z.number().optional().meta({ description: 'Rows settled per second since the first chunk started.' }),
    etaSeconds: z.number().optional().meta({ description: 'Seconds to go at that rate.' }),
    failure: z
      .object({
        reason: z.string().meta({ description: 'What stopped the job, in a sentence: the lines not imported and what to do. No addresses, no internals.' }),
        at: z.string(),
      })
      .optional()
      .meta({ description: 'Set when `status` is `failed`. The counts and the report keep what was imported before: those rows stay imported.' }),
    createdAt: z.string(),
    startedAt: z.string().optional(),
    completedAt: z.string().optional(),
    createdBy: z.string(),
  })
  .meta({ id: 'ImportJob' });
export type ImportJob = z.infer<typeof ImportJobSchema>;

export const ImportJobAcceptedSchema = ImportJobSchema.pick({ id: true, status: true }).meta({ id: 'ImportJobAccepted' });

/** `POST /v1/imports` with a JSON body `{upload: …}`: a job whose file is PUT to a pre-signed URL (any size). */
export const ImportUploadRequestSchema = z
  .object({
    upload: z
      .object({
        format: z.enum(['csv', 'jsonl']).meta({ description: 'CSV with a header row, or JSON lines.' }),
        charset: z
          .enum(['utf-8', 'utf-16le', 'utf-16be', 'windows-1252', 'iso-8859-1'])
          .optional()
          .meta({ description: 'The file\'s encoding, when known; otherwise detected (a byte-order mark, UTF-16, UTF-8, else Windows-1252).' }),
      })
      .strict(),
  })
  .strict()
  .meta({ id: 'ImportUploadRequest' });
export type ImportUploadRequest = z.infer<typeof ImportUploadRequestSchema>;

export const ImportUploadAcceptedSchema = z
  .object({
    id: z.string(),
    status: z.literal('awaitingUpload'),
    upload: z.object({
      url: z.string().meta({ description: 'PUT the file here, as the body, before `expiresAt`; the job starts when it has arrived.' }),
      method: z.literal('PUT'),
      headers: z.record(z.string(), z.string()).meta({ description: 'Headers the PUT must carry exactly (they are signed).' }),
      expiresAt: z.string(),
    }),
  })
  .meta({ id: 'ImportUploadAccepted' });

export const ImportReportEntrySchema = z
  .object({
    line: z.number().int().meta({ description: 'Line of the file (1 is a CSV header); 1 also for warnings about the file as a whole.' }),
    kind: z.enum(['rejected', 'warning']),
    reason: z.string(),
  })
  .meta({ id: 'ImportReportEntry' });

export const ImportJobReportSchema = z
  .object({
    id: z.string(),
    status: ImportJobStatusSchema,
    entries: z.array(ImportReportEntrySchema).meta({ description: 'Every rejected or warned row of the chunks on this page, by line.' }),
    next: z.string().optional(),
  })
  .meta({ id: 'ImportJobReport' });

export const ImportReportQuerySchema = z.object({ cursor: CursorSchema.optional() });
