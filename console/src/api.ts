/**
 * The console's client of the admin API: sends the session's bearer token, turns an error answer
 * (`{"error": {code, message, details}}`) into an ApiError the screens show as it is.
 */
export interface ErrorDetail {
  readonly path?: string;
  readonly message: string;
}

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: readonly ErrorDetail[];
  constructor(status: number, code: string, message: string, details: readonly ErrorDetail[] = []) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

/** Reads an answer body into an ApiError (for anything that is not 2xx). Pure. */
export function toApiError(status: number, body: unknown): ApiError {
  const e = (body as { error?: { code?: unknown; message?: unknown; details?: unknown } } | null)?.error;
  if (e && typeof e.message === 'string') {
    const details = Array.isArray(e.details) ? e.details.filter((d): d is ErrorDetail => typeof d?.message === 'string') : [];
    return new ApiError(status, typeof e.code === 'string' ? e.code : `http_${status}`, e.message, details);
  }
  const message = (body as { message?: unknown } | null)?.message;
  const words: Record<number, string> = {
    401: 'You are not signed in, or your key or session was refused.',
    403: 'Your role does not allow this.',
    404: 'Not found: this API does not have that route or record.',
    413: 'The request is too large.',
  };
  return new ApiError(status, `http_${status}`, words[status] ?? (typeof message === 'string' ? `${message} (HTTP ${status})` : `The API answered HTTP ${status}.`));
}

export interface Api {
  call<T = any>(method: string, path: string, body?: unknown, contentType?: string): Promise<T>;
  get<T = any>(path: string): Promise<T>;
  post<T = any>(path: string, body?: unknown, contentType?: string): Promise<T>;
  put<T = any>(path: string, body?: unknown): Promise<T>;
  del<T = any>(path: string, body?: unknown): Promise<T>;
}

export function createApi(base: string, token: () => string | undefined | Promise<string | undefined>, onUnauthorized: () => void): Api {
  const call = async <T,>(method: string, path: string, body?: unknown, contentType?: string): Promise<T> => {
    const headers: Record<string, string> = { accept: 'application/json' };
    const t = await token();
    if (t) headers.authorization = `Bearer ${t}`;
    let payload: string | Blob | undefined;
    if (body !== undefined) {
      // A file goes as its bytes (the server detects its encoding); anything else as text or JSON.
      payload = typeof body === 'string' || body instanceof Blob ? body : JSON.stringify(body);
      headers['content-type'] = contentType ?? 'application/json';
    }
    let res: Response;
    try {
      res = await fetch(`${base}${path}`, { method, headers, body: payload });
    } catch {
      throw new ApiError(0, 'network', 'The API could not be reached. Check the connection and try again.');
    }
    const text = await res.text();
    let parsed: unknown = undefined;
    if (text) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = { message: text.slice(0, 200) };
      }
    }
    if (!res.ok) {
      if (res.status === 401) onUnauthorized();
      throw toApiError(res.status, parsed);
    }
    return parsed as T;
  };
  return {
    call,
    get: (p) => call('GET', p),
    post: (p, b, ct) => call('POST', p, b, ct),
    put: (p, b) => call('PUT', p, b),
    del: (p, b) => call('DELETE', p, b),
  };
}

export const q = (params: Record<string, string | number | undefined>) => {
  const s = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') s.set(k, String(v));
  const str = s.toString();
  return str ? `?${str}` : '';
};
