/**
 * The console's Content-Security-Policy, one policy for the local stack (local/console.ts) and the deployed site
 * (lib/console-site.ts, a CloudFront response-headers policy).
 *
 * - Scripts only from the console's own origin: no inline script, no `eval`.
 * - `'unsafe-inline'` for styles, and images from any https origin, are there for the template preview: its `srcdoc`
 *   frame (sandboxed with no permissions: no scripts, no forms, no top navigation) inherits this policy, and mail HTML
 *   is styled inline and pictures sit on the sender's servers. The console's own markup never builds style
 *   attributes from data, so the inline-style allowance only serves the preview.
 * - API calls go to this origin, plus the Cognito domain when there is one: the console redeems the sign-in code with
 *   `fetch` to `<domain>/oauth2/token` (sign-in and sign-out themselves are top-level navigations, which CSP does not
 *   restrict), plus the import uploads bucket on AWS, where a large file goes by a pre-signed PUT.
 * - No plugins, no `<base>`, forms post only here, and no one may frame the console.
 */
export function consoleCsp(options: { readonly signInOrigin?: string; readonly uploadOrigin?: string; readonly https?: boolean } = {}): string {
  const connect = ["'self'", options.signInOrigin, options.uploadOrigin].filter((o) => o !== undefined).join(' ');
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: https:",
    "font-src 'self'",
    `connect-src ${connect}`,
    "frame-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    // Deployed behind CloudFront, every request is https; on the local stack (plain http on loopback) it would break calls.
    ...(options.https ? ['upgrade-insecure-requests'] : []),
  ].join('; ');
}
