/**
 * Where large import files are uploaded to and read back from (issue 15): an S3 bucket on AWS, a folder of the local
 * stack otherwise — with one contract. `presignPut` hands the caller a URL to PUT the file to (no credentials of its
 * own needed), `read` reads a byte range of it back, so the import worker goes through a file of any size in pieces.
 * On AWS, S3 is signed with the SDK's own SigV4 signer (`@smithy/signature-v4`, already a dependency), so no S3 client
 * is bundled for two requests. Locally, the URL points at the local gateway's upload endpoint (local/uploads.ts),
 * signed with a key of the running stack.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { SignatureV4 } from '@smithy/signature-v4';
import { ENV } from '../wiring/env-keys.ts';
import { NodeSha256 } from './node-sha256.ts';

export interface PresignedUpload {
  readonly url: string;
  readonly method: 'PUT';
  /** Headers the PUT must carry, as given (they are part of the signature). */
  readonly headers: Record<string, string>;
  readonly expiresAt: string;
}

export interface ImportUploads {
  presignPut(key: string, contentType: string, expiresInSeconds: number, now: Date): Promise<PresignedUpload>;
  /** Up to `length` bytes from `start`, and the object's size; undefined when there is no such object. */
  read(key: string, start: number, length: number): Promise<{ bytes: Buffer; size: number } | undefined>;
  /** Deletes the file once it is read (gone already is fine). */
  remove(key: string): Promise<void>;
}

/** The local upload URL's signature: the method, key, expiry and content type under the stack's key. */
export function localUploadSignature(secret: string, key: string, expires: number, contentType: string): string {
  return createHmac('sha256', secret).update(`PUT\n${key}\n${expires}\n${contentType}`).digest('base64url');
}

export function verifyLocalUpload(secret: string, key: string, expires: string | null, signature: string | null, contentType: string, now = Date.now()): boolean {
  if (!expires || !signature || !/^\d{1,12}$/.test(expires) || Number(expires) * 1000 < now) return false;
  const want = Buffer.from(localUploadSignature(secret, key, Number(expires), contentType));
  const got = Buffer.from(signature);
  return want.length === got.length && timingSafeEqual(want, got);
}

/** Import file keys: `imports/<job id>`, nothing a caller names. */
export const UPLOAD_KEY = /^imports\/imp_[A-Za-z0-9]{1,40}$/;

export class LocalImportUploads implements ImportUploads {
  readonly dir: string;
  readonly baseUrl: string;
  readonly secret: string;

  constructor(dir: string, baseUrl: string, secret: string) {
    this.dir = dir;
    this.baseUrl = baseUrl;
    this.secret = secret;
  }

  async presignPut(key: string, contentType: string, expiresInSeconds: number, now: Date): Promise<PresignedUpload> {
    const expires = Math.floor(now.getTime() / 1000) + expiresInSeconds;
    const url = new URL(`/_local/uploads/${key}`, this.baseUrl);
    url.searchParams.set('expires', String(expires));
    url.searchParams.set('signature', localUploadSignature(this.secret, key, expires, contentType));
    return { url: url.toString(), method: 'PUT', headers: { 'content-type': contentType }, expiresAt: new Date(expires * 1000).toISOString() };
  }

  async read(key: string, start: number, length: number): Promise<{ bytes: Buffer; size: number } | undefined> {
    if (!UPLOAD_KEY.test(key)) return undefined;
    let file;
    try {
      file = await open(join(this.dir, key));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
    try {
      const size = (await file.stat()).size;
      const bytes = Buffer.alloc(Math.max(0, Math.min(length, size - start)));
      if (bytes.length) await file.read(bytes, 0, bytes.length, start);
      return { bytes, size };
    } finally {
      await file.close();
    }
  }

  async remove(key: string): Promise<void> {
    if (UPLOAD_KEY.test(key)) await rm(join(this.dir, key), { force: true });
  }
}

export class S3ImportUploads implements ImportUploads {
  readonly #signer: SignatureV4;
  readonly #host: string;

  constructor(bucket: string, region: string) {
    this.#host = `${bucket}.s3.${region}.amazonaws.com`;
    this.#signer = new SignatureV4({
      service: 's3',
      region,
      sha256: NodeSha256,
      // S3 signs the path as sent, not encoded twice.
      uriEscapePath: false,
      credentials: async () => (await import('@aws-sdk/credential-provider-node')).defaultProvider()(),
    });
  }

  async presignPut(key: string, contentType: string, expiresInSeconds: number, now: Date): Promise<PresignedUpload> {
    const signed = await this.#signer.presign(
      {
        method: 'PUT',
        protocol: 'https:',
        hostname: this.#host,
        path: `/${key}`,
        query: {},
        // The body is not known when signing: S3 takes UNSIGNED-PAYLOAD in a pre-signed URL.
        headers: { host: this.#host, 'content-type': contentType, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
      },
      { expiresIn: expiresInSeconds, signingDate: now },
    );
    const url = new URL(`https://${this.#host}/${key}`);
    for (const [k, v] of Object.entries(signed.query ?? {})) url.searchParams.set(k, String(v));
    return { url: url.toString(), method: 'PUT', headers: { 'content-type': contentType }, expiresAt: new Date(now.getTime() + expiresInSeconds * 1000).toISOString() };
  }

  async read(key: string, start: number, length: number): Promise<{ bytes: Buffer; size: number } | undefined> {
    const signed = await this.#signer.sign({
      method: 'GET',
      protocol: 'https:',
      hostname: this.#host,
      path: `/${key}`,
      query: {},
      headers: { host: this.#host, range: `bytes=${start}-${start + length - 1}` },
    });
    const { host: _host, ...headers } = signed.headers;
    const res = await fetch(`https://${this.#host}/${key}`, { headers });
    if (res.status === 404) return undefined;
    // A range past the end of the object: nothing more to read.
    if (res.status === 416) return { bytes: Buffer.alloc(0), size: start };
    if (res.status !== 200 && res.status !== 206) throw new Error(`S3 GetObject of ${key} answered ${res.status}`);
    const bytes = Buffer.from(await res.arrayBuffer());
    const total = /\/(\d+)$/.exec(res.headers.get('content-range') ?? '')?.[1];
    return { bytes, size: total ? Number(total) : bytes.length };
  }

  async remove(key: string): Promise<void> {
    const signed = await this.#signer.sign({ method: 'DELETE', protocol: 'https:', hostname: this.#host, path: `/${key}`, query: {}, headers: { host: this.#host } });
    const { host: _host, ...headers } = signed.headers;
    const res = await fetch(`https://${this.#host}/${key}`, { method: 'DELETE', headers });
    // S3 answers 204 whether or not the object was there.
    if (res.status !== 204 && res.status !== 200 && res.status !== 404) throw new Error(`S3 DeleteObject of ${key} answered ${res.status}`);
  }
}

let uploads: ImportUploads | undefined;

/** The bucket on AWS; the local folder when the local stack or a test configured one. */
export function importUploads(): ImportUploads | undefined {
  if (uploads) return uploads;
  const dir = process.env[ENV.localUploadsDir];
  const url = process.env[ENV.localUploadsUrl];
  const secret = process.env[ENV.localUploadsSecret];
  const bucket = process.env[ENV.importBucket];
  if (dir && url && secret) uploads = new LocalImportUploads(dir, url, secret);
  else if (bucket) uploads = new S3ImportUploads(bucket, process.env.AWS_REGION ?? 'us-east-1');
  return uploads;
}
