/**
 * The console's Cognito sign-in in Chromium, with the user pool's endpoints played by the test at the network layer
 * (no user pool here): the authorize redirect carries the PKCE challenge and state; the token request carries the
 * code and the verifier that hashes to that challenge; the ID token goes to the API as the bearer; the CSP lets the
 * token request through; signing out goes through `/logout`. `GET /v1/me` is answered by the test too, standing in
 * for API Gateway's JWT authorizer, which the local gateway does not run.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { freePort } from '../../../local/ports.ts';
import { launchBrowser } from '../../support/browser.ts';
import type { TestGateway } from '../../support/gateway.ts';
import { startConsoleGateway } from './console-support.ts';

const domain = 'https://sendwell-test.auth.eu-west-1.amazoncognito.com';
const b64url = (s: string | Buffer) => Buffer.from(s).toString('base64url');
const idToken = `${b64url('{"alg":"RS256","kid":"k"}')}.${b64url(JSON.stringify({ sub: 'u-1', email: 'ada@example.com', 'cognito:groups': ['privacy'], exp: Math.floor(Date.now() / 1000) + 3600 }))}.c2lnbmF0dXJl`;

let gw: TestGateway;
let browser: Browser;
let redirectUri: string;

beforeAll(async () => {
  const port = await freePort();
  redirectUri = `http://127.0.0.1:${port}/console/`;
  gw = await startConsoleGateway(port, { auth: { kind: 'cognito', domain, clientId: 'console-client', redirectUri, logoutUri: redirectUri }, apiBase: '' });
  browser = await launchBrowser();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await gw?.stop();
});

describe('signing in with Cognito', () => {
  it('runs the authorization-code flow with PKCE, sends the ID token, and signs out through /logout', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(e.message));
    const seen: { authorize?: URL; token?: URLSearchParams; logout?: URL; bearer?: string } = {};

    await page.route(`${domain}/**`, async (route) => {
      const url = new URL(route.request().url());
      if (url.pathname === '/oauth2/authorize') {
        seen.authorize = url;
        return route.fulfill({ status: 302, headers: { location: `${redirectUri}?code=the-code&state=${url.searchParams.get('state')}` } });
      }
      if (url.pathname === '/oauth2/token') {
        seen.token = new URLSearchParams(route.request().postData() ?? '');
        return route.fulfill({
          status: 200,
          headers: { 'content-type': 'application/json', 'access-control-allow-origin': new URL(redirectUri).origin },
          body: JSON.stringify({ id_token: idToken, access_token: 'access', refresh_token: 'refresh', expires_in: 3600, token_type: 'Bearer' }),
        });
      }
      if (url.pathname === '/logout') {
        seen.logout = url;
        return route.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><title>Signed out</title><p>Signed out</p>' });
      }
      return route.fulfill({ status: 404 });
    });
    await page.route(`${gw.url}/v1/me`, async (route) => {
      seen.bearer = route.request().headers().authorization;
      await route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({ id: 'ada@example.com', roles: ['privacy'], kind: 'user' }) });
    });

    // A deep link: after signing in, the console comes back to it.
    await page.goto(`${gw.url}/console/people`);
    await page.getByRole('heading', { level: 1, name: 'Sign in to the Sendwell console' }).waitFor();
    expect(await page.getByLabel('API key').count()).toBe(0);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'People' }).waitFor();

    const a = seen.authorize!;
    expect(Object.fromEntries([...a.searchParams].filter(([k]) => k !== 'state' && k !== 'code_challenge'))).toEqual({
      response_type: 'code',
      client_id: 'console-client',
      redirect_uri: redirectUri,
      scope: 'openid email profile',
      code_challenge_method: 'S256',
    });
    expect(a.searchParams.get('state')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const t = seen.token!;
    expect([t.get('grant_type'), t.get('client_id'), t.get('code'), t.get('redirect_uri')]).toEqual(['authorization_code', 'console-client', 'the-code', redirectUri]);
    // The verifier sent with the code is the one whose hash went out with the authorize request.
    expect(b64url(createHash('sha256').update(t.get('code_verifier')!).digest())).toBe(a.searchParams.get('code_challenge'));
    expect(seen.bearer).toBe(`Bearer ${idToken}`);

    expect(page.url()).toBe(`${gw.url}/console/people`);
    expect(await page.getByText('Signed in as').textContent()).toContain('ada@example.com');
    const storage = await page.evaluate(() => ({ local: localStorage.length, session: Object.values(sessionStorage) }));
    expect(storage.local).toBe(0);
    expect(storage.session).toContain(idToken);
    expect(storage.session.join(' ')).not.toContain('refresh');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${domain}/logout**`);
    expect(Object.fromEntries(seen.logout!.searchParams)).toEqual({ client_id: 'console-client', logout_uri: redirectUri });
    expect(errors).toEqual([]);
    await context.close();
  });
});
