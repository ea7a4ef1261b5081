/** Starts the local gateway with every real handler on a free loopback port, for tests that speak HTTP. */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FUNCTIONS, ROUTES } from '../../lambdas/wiring/routes.ts';
import { loadHandlers, startGateway, type RunningGateway } from '../../local/gateway.ts';

export const repoRoot = resolve(fileURLToPath(import.meta.url), '../../..');
export const TEST_ADMIN_KEY = 'swl_test_admin_key_0123456789';

export interface TestGateway extends RunningGateway {
  /** fetch against the gateway; `admin: true` adds the admin key. */
  call(path: string, init?: RequestInit & { admin?: boolean }): Promise<Response>;
}

/** `port` 0 (default) picks a free one. */
export async function startTestGateway(port = 0): Promise<TestGateway> {
  const handlers = await loadHandlers(FUNCTIONS, repoRoot);
  return withAdminCall(await startGateway({ routes: ROUTES, functions: FUNCTIONS, handlers, adminKey: TEST_ADMIN_KEY, port }));
}

/** A running gateway with `call`, which adds the test admin key when asked. */
export function withAdminCall(gateway: RunningGateway): TestGateway {
  return {
    ...gateway,
    call: (path, init = {}) => {
      const { admin, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (admin) headers.set('authorization', `Bearer ${TEST_ADMIN_KEY}`);
      return fetch(`${gateway.url}${path}`, { ...rest, headers });
    },
  };
}
