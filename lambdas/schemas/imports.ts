/** Import jobs: a file of any size imported in chunks on a queue, with progress and a per-row report. */
import * as z from 'zod';
import { CursorSchema } from './model.ts';

export const ImportJobIdSchema = z.string().regex(/^imp_[A-Za-z0-9]{1,40}$/, 'not an import job id');

export const ImportJobStatusSchema = z.enum(['queued', 'running', 'completed']);

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
    ratePerSecond: z.number().optional().meta({ description: 'Rows settled per second since the first chunk started.' }),
    etaSeconds: z.number().optional().meta({ description: 'Seconds to go at that rate.' }),
    createdAt: z.string(),
    startedAt: z.string().optional(),
    completedAt: z.string().optional(),
    createdBy: z.string(),
  })
  .meta({ id: 'ImportJob' });
export type ImportJob = z.infer<typeof ImportJobSchema>;

export const ImportJobAcceptedSchema = ImportJobSchema.pick({ id: true, status: true }).meta({ id: 'ImportJobAccepted' });

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
