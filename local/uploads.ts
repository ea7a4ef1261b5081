/**
 * The local stand-in for the import bucket (issue 15): `PUT /_local/uploads/imports/<job id>?expires=…&signature=…`
 * on the local gateway, the URL `POST /v1/imports` hands out with `{upload: …}` (lambdas/adapters/import-uploads.ts
 * signs it). A valid PUT stores the body under the data folder and then does what S3's event notification does on
 * AWS: puts an `ObjectCreated` event of the same shape on the import queue, so the same worker code reads the file.
 * No size limit of the API's 10 MB applies here, as none does to a pre-signed S3 PUT (S3's own is 5 GB).
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, renameSync, rmSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { UPLOAD_KEY, verifyLocalUpload } from '../lambdas/adapters/import-uploads.ts';
import { ENV } from '../lambdas/wiring/env-keys.ts';
import type { StaticSite } from './gateway.ts';

const PREFIX = '/_local/uploads';
/** The most a local upload takes (S3's single PUT takes 5 GB; a laptop's disk is the limit here). */
export const LOCAL_UPLOAD_MAX_BYTES = 2 * 1024 ** 3;

export interface LocalUploads {
  readonly site: StaticSite;
  /** Once the gateway listens: its base URL goes into the signed URLs (the handlers read it from the environment). */
  activate(baseUrl: string): void;
}

/** The S3 event an upload of `key` (`size` bytes) makes, as S3 puts it on an SQS queue. */
export function s3CreatedEvent(key: string, size: number): string {
  return JSON.stringify({ Records: [{ eventSource: 'aws:s3', eventName: 'ObjectCreated:Put', s3: { bucket: { name: 'local' }, object: { key, size } } }] });
}

function answer(res: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify({ error: { code, message, details: [] } }));
}

/**
 * The upload endpoint, keeping files in `dir`; `notify` gets each stored file's event (the import queue's send).
 * Sets the environment the handlers read the upload store from, with a signing key of this start.
 */
export function localUploads(dir: string, notify: (event: string) => Promise<void>): LocalUploads {
  const secret = randomBytes(32).toString('base64url');
  mkdirSync(dir, { recursive: true });
  const site: StaticSite = {
    prefix: PREFIX,
    handle: async (req: IncomingMessage, res: ServerResponse) => {
      const url = new URL(req.url ?? '/', 'http://local');
      const key = decodeURIComponent(url.pathname.slice(PREFIX.length + 1));
      if (req.method !== 'PUT') return answer(res, 405, 'method_not_allowed', 'PUT the file to this URL.', { allow: 'PUT' });
      if (!UPLOAD_KEY.test(key)) return answer(res, 404, 'not_found', 'No such upload.');
      const contentType = String(req.headers['content-type'] ?? '');
      if (!verifyLocalUpload(secret, key, url.searchParams.get('expires'), url.searchParams.get('signature'), contentType)) {
        return answer(res, 403, 'forbidden', 'The upload URL is not valid, has expired, or the Content-Type differs from the one it was issued for.');
      }
      const declared = Number(req.headers['content-length'] ?? 0);
      if (declared > LOCAL_UPLOAD_MAX_BYTES) return answer(res, 413, 'payload_too_large', `At most ${LOCAL_UPLOAD_MAX_BYTES} bytes.`);
      const path = join(dir, key);
      mkdirSync(dirname(path), { recursive: true });
      // Written aside and renamed: the worker never reads half a file.
      const partial = `${path}.${randomBytes(4).toString('hex')}.part`;
      let size = 0;
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (size > LOCAL_UPLOAD_MAX_BYTES) req.destroy(new Error('too large'));
      });
      try {
        await pipeline(req, createWriteStream(partial));
      } catch {
        rmSync(partial, { force: true });
        if (!res.headersSent) answer(res, size > LOCAL_UPLOAD_MAX_BYTES ? 413 : 400, size > LOCAL_UPLOAD_MAX_BYTES ? 'payload_too_large' : 'bad_request', 'The upload did not arrive whole.');
        return;
      }
      renameSync(partial, path);
      await notify(s3CreatedEvent(key, size));
      res.writeHead(200, { etag: `"${size}"` });
      res.end();
    },
  };
  return {
    site,
    activate: (baseUrl: string) => {
      Object.assign(process.env, { [ENV.localUploadsDir]: dir, [ENV.localUploadsUrl]: baseUrl, [ENV.localUploadsSecret]: secret });
    },
  };
}
