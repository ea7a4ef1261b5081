import { describe, expect, it } from 'vitest';
import { createRouter } from '../../../lambdas/wiring/route-match.ts';
import type { RouteDef } from '../../../lambdas/wiring/routes.ts';

const r = (method: RouteDef['method'], path: string): RouteDef => ({ method, path, fn: 'health', auth: 'public', operationId: path, summary: '' });

describe('createRouter', () => {
  const route = createRouter([
    r('GET', '/v1/recipients/{id}'),
    r('GET', '/v1/recipients/export'),
    r('POST', '/v1/recipients/{id}/consents/{topic}'),
    r('GET', '/o/{token}'),
    r('GET', '/files/{proxy+}'),
  ]);

  it('prefers a literal segment over a parameter, whatever the order of the table', () => {
    expect(route('GET', '/v1/recipients/export')?.route.path).toBe('/v1/recipients/export');
    expect(route('GET', '/v1/recipients/r_123')?.params).toEqual({ id: 'r_123' });
  });

  it('extracts several parameters and decodes them', () => {
    expect(route('POST', '/v1/recipients/a%20b/consents/news')?.params).toEqual({ id: 'a b', topic: 'news' });
  });

  it('routes a trailing slash as API Gateway does: to the same route', () => {
    expect(route('GET', '/o/abc/')?.params).toEqual({ token: 'abc' });
    expect(route('GET', '/v1/recipients/export/')?.route.path).toBe('/v1/recipients/export');
    expect(route('GET', '/o/')).toBeUndefined();
  });

  it('matches the method as well as the path', () => {
    expect(route('DELETE', '/v1/recipients/r_1')).toBeUndefined();
  });

  it('does not let a parameter span segments, but a greedy one does', () => {
    expect(route('GET', '/v1/recipients/a/b')).toBeUndefined();
    expect(route('GET', '/files/a/b/c.txt')?.params).toEqual({ proxy: 'a/b/c.txt' });
  });

  it('treats regex characters in literal segments literally', () => {
    const dotted = createRouter([r('GET', '/v1/openapi.json')]);
    expect(dotted('GET', '/v1/openapi.json')).toBeDefined();
    expect(dotted('GET', '/v1/openapiXjson')).toBeUndefined();
  });
});

describe('createRouter with malformed percent-encoding', () => {
  it('passes a segment it cannot decode on as written instead of failing the request', () => {
    const route = createRouter([r('GET', '/o/{token}')]);
    expect(route('GET', '/o/%FF%FE.gif')?.params).toEqual({ token: '%FF%FE.gif' });
  });
});
