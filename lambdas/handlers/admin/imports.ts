/** Import jobs: `POST /v1/imports` (202 `{id, status}`), `GET /v1/imports/{id}` (progress), `GET …/report` (per row). */
import * as z from 'zod';
import { importJobs } from '../../adapters/import-jobs-container.ts';
import { charsetOf, decodeText } from '../../domain/text-file.ts';
import { readJson } from '../../domain/json-input.ts';
import { ImportJobIdSchema, ImportReportQuerySchema, ImportUploadRequestSchema } from '../../schemas/imports.ts';
import { createImportJob, getImportJob, getImportReport, requestImportUpload } from '../../services/import-jobs.ts';
import { importFormat } from '../../services/import-recipients.ts';
import { actorOf } from '../middleware/actor.ts';
import { adminRoute } from '../middleware/admin-route.ts';
import { bodyBytes, json, parsePart } from '../middleware/http.ts';

const params = z.object({ id: ImportJobIdSchema });

/** The body as one JSON value, or undefined when it is not one (then it is a file of JSON lines). */
function readJsonOrUndefined(bytes: Uint8Array): unknown {
  try {
    return readJson(new TextDecoder().decode(bytes));
  } catch {
    return undefined;
  }
}

/**
 * The file is the body (JSON lines or CSV), decoded like a synchronous import; the job is queued before the answer.
 * Or the body asks for an upload URL (`{"upload": {"format": …}}`): the job waits for the file there.
 */
export const createImportJobHandler = adminRoute({}, async ({ event, headers }) => {
  const bytes = bodyBytes(event);
  // `{"upload": …}` as JSON asks for a pre-signed upload URL instead of carrying the file (a file of JSON lines is
  // never one JSON object with an `upload` member: its rows need an `email`).
  if (/^application\/json\b/i.test(headers['content-type'] ?? '')) {
    const parsed = readJsonOrUndefined(bytes);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed) && 'upload' in parsed) {
      const request = parsePart(ImportUploadRequestSchema, parsed, 'body');
      const accepted = await requestImportUpload(importJobs(), request.upload, actorOf(event));
      return json(202, accepted, { location: `/v1/imports/${accepted.id}` });
    }
  }
  const format = importFormat(headers['content-type']);
  const { text, encoding } = decodeText(bytes, charsetOf(headers['content-type']));
  const accepted = await createImportJob(importJobs(), text, format, actorOf(event), encoding);
  return json(202, accepted, { location: `/v1/imports/${accepted.id}` });
});

export const getImportJobHandler = adminRoute({ params }, async ({ params: p }) => json(200, await getImportJob(importJobs(), p.id)));

export const getImportReportHandler = adminRoute({ params, query: ImportReportQuerySchema }, async ({ params: p, query }) =>
  json(200, await getImportReport(importJobs(), p.id, query.cursor)),
);
