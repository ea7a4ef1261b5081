/** Starts the local gateway with every real handler on a free loopback port, for tests that speak HTTP. */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FUNCTIONS, ROUTES } from '../../lambdas/wiring/routes.ts';
import { contractChecker } from './contract.ts';
import { loadHandlers, startGateway, type LocalRole, type LocalUser, type RunningGateway, type StaticSite } from '../../local/gateway.ts';

export const repoRoot = resolve(fileURLToPath(import.meta.url), '../../..');
export const TEST_ADMIN_KEY = 'swl_test_admin_key_0123456789';

/** A bearer key per console role: a request with one is a Cognito user in that group (JWT authorizer context). */
export const TEST_ROLE_KEYS: Readonly<Record<LocalRole, string>> = {
  marketing: 'swl_test_marketing_key_0123456789',
  ops: 'swl_test_ops_key_0123456789',
  privacy: 'swl_test_privacy_key_0123456789',
};

/** Console users beyond the three roles: one in no group, one in several (with a name that is not a role). */
export const TEST_USERS = {
  nogroup: { key: 'swl_test_nogroup_key_0123456789', name: 'nogroup', groups: [] },
  multi: { key: 'swl_test_multi_key_0123456789', name: 'multi', groups: ['ops', 'privacy', 'interns'] },
} as const satisfies Record<string, LocalUser>;

/** Who a test call is made as: the admin (SigV4 service), a role, or one of `TEST_USERS`. */
export type CallAs = 'admin' | LocalRole | keyof typeof TEST_USERS;

export const keyFor = (as: CallAs): string => (as === 'admin' ? TEST_ADMIN_KEY : as in TEST_USERS ? TEST_USERS[as as keyof typeof TEST_USERS].key : TEST_ROLE_KEYS[as as LocalRole]);

export interface TestGateway extends RunningGateway {
  /** fetch against the gateway; `admin: true` adds the admin key, `as` the key of that caller. */
  call(path: string, init?: RequestInit & { admin?: boolean; as?: CallAs }): Promise<Response>;
}

/** `port` 0 (default) picks a free one; `staticSites` as the local stack serves them (the local upload endpoint). */
export async function startTestGateway(port = 0, staticSites: readonly StaticSite[] = []): Promise<TestGateway> {
  const handlers = await loadHandlers(FUNCTIONS, repoRoot);
  return withAdminCall(
    await startGateway({ routes: ROUTES, functions: FUNCTIONS, handlers, adminKey: TEST_ADMIN_KEY, roleKeys: TEST_ROLE_KEYS, users: Object.values(TEST_USERS), port, staticSites }),
  );
}

let checker: ReturnType<typeof contractChecker> | undefined;

/**
 * A running gateway with `call`, which adds the test admin key (or a role's key) when asked. Every answer is checked
 * against the OpenAPI document (test/support/contract.ts): a status the route does not declare, or a body that does
 * not match its schema, throws — so every integration test that calls the API is also a contract test.
 */
export function withAdminCall(gateway: RunningGateway): TestGateway {
  return {
    ...gateway,
    call: async (path, init = {}) => {
      const { admin, as, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (as) headers.set('authorization', `Bearer ${keyFor(as)}`);
      else if (admin) headers.set('authorization', `Bearer ${TEST_ADMIN_KEY}`);
      const res = await fetch(`${gateway.url}${path}`, { ...rest, headers });
      checker ??= contractChecker();
      const method = (rest.method ?? 'GET').toUpperCase();
      const problems = checker(method, new URL(path, gateway.url).pathname, res.status, res.headers.get('content-type'), await res.clone().text());
      if (problems.length) throw new Error(`The answer breaks the OpenAPI contract: ${problems.map((p) => `${p.route} → ${p.status}: ${p.problem}`).join('\n')}`);
      return res;
    },
  };
}
