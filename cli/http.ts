/** The admin API client: JSON in and out, the local bearer key or SigV4, API errors as `ApiError`. */
import { ApiError, CliError, type ErrorDetail } from './errors.ts';
import type { RequestSigner } from './sigv4.ts';

export type Auth = { readonly kind: 'key'; readonly key: string } | { readonly kind: 'sigv4'; readonly sign: RequestSigner };

export interface RequestOptions {
  /** Sent as JSON. */
  readonly json?: unknown;
  /** Sent as is, with `contentType`. */
  readonly body?: string;
  readonly contentType?: string;
}

export interface ApiClient {
  readonly baseUrl: string;
  request<T = unknown>(method: string, path: string, options?: RequestOptions): Promise<T>;
}

/** An import chunk of a few thousand rows takes seconds; API Gateway itself gives up at 30. */
const TIMEOUT_MS = 60_000;

export function apiClient(baseUrl: string, auth: Auth, fetchImpl: typeof fetch = fetch): ApiClient {
  const base = baseUrl.replace(/\/+$/, '');
  return {
    baseUrl: base,
    async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
      const url = new URL(base + path);
      const body = options.json !== undefined ? JSON.stringify(options.json) : options.body;
      const headers: Record<string, string> = { accept: 'application/json' };
      if (body !== undefined) headers['content-type'] = options.json !== undefined ? 'application/json' : (options.contentType ?? 'text/plain');
      let send: Record<string, string>;
      if (auth.kind === 'key') send = { ...headers, authorization: `Bearer ${auth.key}` };
      else {
        // fetch derives `host` from the URL, as it was signed; it may not be set by hand.
        const { host: _host, ...signed } = await auth.sign({ method, url, headers, ...(body === undefined ? {} : { body }) });
        send = signed;
      }
      let res: Response;
      try {
        res = await fetchImpl(url, { method, headers: send, ...(body === undefined ? {} : { body }), signal: AbortSignal.timeout(TIMEOUT_MS) });
      } catch (e) {
        throw unreachable(base, e);
      }
      const text = await res.text();
      if (!res.ok) throw apiError(res.status, text);
      if (text === '') return undefined as T;
      try {
        return JSON.parse(text) as T;
      } catch {
        throw new CliError(`${method} ${path} answered ${res.status} with something that is not JSON: ${text.slice(0, 200)}`);
      }
    },
  };
}

function unreachable(base: string, e: unknown): CliError {
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  if ((e as Error).name === 'TimeoutError') return new CliError(`${base} did not answer within ${TIMEOUT_MS / 1000} s.`);
  const local = /^http:\/\/(127\.0\.0\.1|localhost|\[::1\])[:/]/.test(`${base}/`);
  const reason = cause?.code ?? cause?.message ?? (e as Error).message;
  return new CliError(`Cannot reach ${base} (${reason}).${local ? ' Is the local stack running? Start it with `npm start`.' : ''}`);
}

/** Sendwell's `{error: {code, message, details}}`; API Gateway's own `{message}` (403 for a bad signature); or text. */
export function apiError(status: number, text: string): ApiError {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const error = (parsed as { error?: { code?: unknown; message?: unknown; details?: unknown } } | undefined)?.error;
  if (error && typeof error.message === 'string') {
    const details = Array.isArray(error.details) ? error.details.filter((d): d is ErrorDetail => typeof d?.message === 'string') : [];
    return new ApiError(status, typeof error.code === 'string' ? error.code : `http_${status}`, error.message, details);
  }
  const message = (parsed as { message?: unknown } | undefined)?.message;
  if (typeof message === 'string') return new ApiError(status, `http_${status}`, message);
  return new ApiError(status, `http_${status}`, text.trim().slice(0, 300) || `HTTP ${status}`);
}
