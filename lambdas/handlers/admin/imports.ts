/** Import jobs: `POST /v1/imports` (202 `{id, status}`), `GET /v1/imports/{id}` (progress), `GET …/report` (per row). */
import * as z from 'zod';
import { importJobs } from '../../adapters/import-jobs-container.ts';
import { charsetOf, decodeText } from '../../domain/text-file.ts';
import { ImportJobIdSchema, ImportReportQuerySchema } from '../../schemas/imports.ts';
import { createImportJob, getImportJob, getImportReport } from '../../services/import-jobs.ts';
import { importFormat } from '../../services/import-recipients.ts';
import { actorOf } from '../middleware/actor.ts';
import { adminRoute } from '../middleware/admin-route.ts';
import { bodyBytes, json } from '../middleware/http.ts';

const params = z.object({ id: ImportJobIdSchema });

/** The file is the body (JSON lines or CSV), decoded like a synchronous import; the job is queued before the answer. */
export const createImportJobHandler = adminRoute({}, async ({ event, headers }) => {
  const format = importFormat(headers['content-type']);
  const { text, encoding } = decodeText(bodyBytes(event), charsetOf(headers['content-type']));
  const accepted = await createImportJob(importJobs(), text, format, actorOf(event), encoding);
  return json(202, accepted, { location: `/v1/imports/${accepted.id}` });
});

export const getImportJobHandler = adminRoute({ params }, async ({ params: p }) => json(200, await getImportJob(importJobs(), p.id)));

export const getImportReportHandler = adminRoute({ params, query: ImportReportQuerySchema }, async ({ params: p, query }) =>
  json(200, await getImportReport(importJobs(), p.id, query.cursor)),
);
