import { describe, expect, it } from 'vitest';
import { ROLES, ROUTES, mayCall, routeKey, type Role } from '../../../lambdas/wiring/routes.ts';

const route = (key: string) => {
  const found = ROUTES.find((r) => routeKey(r) === key);
  if (!found) throw new Error(`no route ${key}`);
  return found;
};

/** Who besides admin may call each route (issue 9), written out on its own so a change to the table shows here. */
const MATRIX: Record<string, readonly Role[]> = {
  'GET /v1/openapi.json': ['marketing', 'ops', 'privacy'],
  'GET /v1/me': ['marketing', 'ops', 'privacy'],
  'POST /v1/topics': ['marketing'],
  'GET /v1/topics': ['marketing', 'ops', 'privacy'],
  'GET /v1/topics/{id}': ['marketing', 'ops', 'privacy'],
  'PUT /v1/topics/{id}': ['marketing'],
  'POST /v1/segments': ['marketing'],
  'GET /v1/segments': ['marketing', 'ops'],
  'GET /v1/segments/{id}': ['marketing', 'ops'],
  'PUT /v1/segments/{id}': ['marketing'],
  'DELETE /v1/segments/{id}': ['marketing'],
  'GET /v1/segments/{id}/preview': ['marketing', 'ops'],
  'POST /v1/segments/preview': ['marketing', 'ops'],
  'GET /v1/settings/delivery': ['marketing', 'ops'],
  'PUT /v1/settings/delivery': ['marketing', 'ops'],
  // journeys and events (issue 19)
  'POST /v1/journeys': ['marketing'],
  'GET /v1/journeys': ['marketing', 'ops'],
  'GET /v1/journeys/{id}': ['marketing', 'ops'],
  'PUT /v1/journeys/{id}': ['marketing'],
  'POST /v1/journeys/{id}/activate': ['marketing'],
  'POST /v1/journeys/{id}/pause': ['marketing', 'ops'],
  'POST /v1/journeys/{id}/archive': ['marketing'],
  'POST /v1/events': [],
  'POST /v1/templates': ['marketing'],
  'GET /v1/templates': ['marketing', 'ops'],
  'GET /v1/templates/{id}': ['marketing', 'ops'],
  'PUT /v1/templates/{id}': ['marketing'],
  'POST /v1/templates/preview': ['marketing'],
  'POST /v1/recipients': ['marketing'],
  'GET /v1/recipients': ['marketing', 'ops', 'privacy'],
  'POST /v1/recipients/import': ['marketing'],
  'POST /v1/imports': ['marketing'],
  'GET /v1/imports/{id}': ['marketing'],
  'GET /v1/imports/{id}/report': ['marketing'],
  'GET /v1/recipients/{id}': ['marketing', 'ops', 'privacy'],
  'PATCH /v1/recipients/{id}': ['marketing'],
  'PUT /v1/recipients/{id}/consents/{topic}': ['marketing', 'privacy'],
  'PUT /v1/recipients/{id}/preferences': ['privacy'],
  'GET /v1/recipients/{id}/ledger': ['privacy'],
  'GET /v1/recipients/{id}/consents/{topic}/proof': ['marketing', 'privacy'],
  'GET /v1/recipients/{id}/export': ['privacy'],
  'DELETE /v1/recipients/{id}': ['privacy'],
  'GET /v1/suppressions': ['marketing', 'ops', 'privacy'],
  'POST /v1/suppressions': ['ops', 'privacy'],
  'DELETE /v1/suppressions': ['ops', 'privacy'],
  'GET /v1/messages/{id}': ['ops', 'privacy'],
  'POST /v1/messages': [],
  'POST /v1/campaigns': ['marketing'],
  'GET /v1/campaigns': ['marketing', 'ops'],
  'GET /v1/campaigns/{id}': ['marketing', 'ops'],
  'PATCH /v1/campaigns/{id}': ['marketing'],
  'POST /v1/campaigns/{id}/test': ['marketing'],
  'POST /v1/campaigns/{id}/schedule': ['marketing'],
  'POST /v1/campaigns/{id}/launch': ['marketing'],
  'POST /v1/campaigns/{id}/pause': ['marketing', 'ops'],
  'POST /v1/campaigns/{id}/resume': ['marketing', 'ops'],
  'POST /v1/campaigns/{id}/cancel': ['marketing'],
  'POST /v1/campaigns/preview': ['marketing', 'ops'],
  'GET /v1/campaigns/{id}/preview': ['marketing', 'ops'],
  'POST /v1/campaigns/{id}/winner': ['marketing'],
  'GET /v1/metrics': ['marketing', 'ops'],
  'GET /v1/feedback/recent': ['marketing', 'ops'],
  'GET /v1/marketing': ['marketing', 'ops'],
  'POST /v1/marketing/pause': ['ops'],
  'POST /v1/marketing/resume': ['ops'],
  'GET /ops': ['ops'],
};

describe('the role matrix of the route table', () => {
  it('every admin route declares its roles, and the matrix covers exactly the admin routes', () => {
    const admin = ROUTES.filter((r) => r.auth === 'admin');
    for (const r of admin) expect({ route: routeKey(r), roles: Array.isArray(r.roles) }).toEqual({ route: routeKey(r), roles: true });
    expect(admin.map(routeKey).sort()).toEqual(Object.keys(MATRIX).sort());
    for (const r of ROUTES.filter((x) => x.auth === 'public')) expect(r.roles).toBeUndefined();
  });

  it('each route allows exactly the roles of the matrix, and admin always', () => {
    for (const [key, allowed] of Object.entries(MATRIX)) {
      const r = route(key);
      for (const role of ROLES) {
        const expected = role === 'admin' || allowed.includes(role);
        expect({ key, role, may: mayCall(r, [role]) }).toEqual({ key, role, may: expected });
      }
    }
  });

  it('marketing cannot erase or export people; privacy can', () => {
    for (const key of ['DELETE /v1/recipients/{id}', 'GET /v1/recipients/{id}/export']) {
      expect(mayCall(route(key), ['marketing'])).toBe(false);
      expect(mayCall(route(key), ['privacy'])).toBe(true);
    }
  });

  it('ops can pause and resume but not create campaigns', () => {
    expect(mayCall(route('POST /v1/campaigns/{id}/pause'), ['ops'])).toBe(true);
    expect(mayCall(route('POST /v1/campaigns/{id}/resume'), ['ops'])).toBe(true);
    expect(mayCall(route('POST /v1/campaigns'), ['ops'])).toBe(false);
    expect(mayCall(route('POST /v1/campaigns/{id}/launch'), ['ops'])).toBe(false);
  });

  it('a caller with several roles may do what any of them may', () => {
    expect(mayCall(route('DELETE /v1/recipients/{id}'), ['marketing', 'privacy'])).toBe(true);
    expect(mayCall(route('POST /v1/marketing/pause'), ['marketing', 'privacy'])).toBe(false);
  });

  it('a caller with no role may call only GET /v1/me', () => {
    const allowed = ROUTES.filter((r) => r.auth === 'admin' && mayCall(r, [])).map(routeKey);
    expect(allowed).toEqual(['GET /v1/me']);
  });

  it('public routes are open to anyone', () => {
    for (const r of ROUTES.filter((x) => x.auth === 'public')) expect(mayCall(r, [])).toBe(true);
  });
});
