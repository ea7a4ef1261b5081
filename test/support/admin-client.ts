/** A small client of the admin API over the test gateway, returning status and parsed JSON. */
import type { CallAs, TestGateway } from './gateway.ts';

export interface Answer<T = any> {
  readonly status: number;
  readonly body: T;
}

/** `as`: call as that role (or test user) instead of the admin. */
export function adminClient(gw: TestGateway, as: CallAs = 'admin') {
  const call = async <T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer<T>> => {
    const init: RequestInit & { admin: boolean; as: CallAs } = { method, admin: true, as, headers: { ...headers } };
    if (body !== undefined) {
      init.body = typeof body === 'string' ? body : JSON.stringify(body);
      (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
    }
    const res = await gw.call(path, init);
    const text = await res.text();
    return { status: res.status, body: (text && res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text) as T };
  };
  return {
    call,
    post: <T = any>(path: string, body?: unknown, headers?: Record<string, string>) => call<T>('POST', path, body, headers),
    put: <T = any>(path: string, body?: unknown) => call<T>('PUT', path, body),
    patch: <T = any>(path: string, body?: unknown) => call<T>('PATCH', path, body),
    get: <T = any>(path: string) => call<T>('GET', path),
    del: <T = any>(path: string, body?: unknown) => call<T>('DELETE', path, body),
  };
}
