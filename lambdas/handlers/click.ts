/**
 * `GET /c/{token}` — 302 to the link that was in that message, at the index signed into the token. Never to a URL
 * from the request: anything that does not resolve is a 404 page, so this is no open redirect.
 */
import { container } from '../adapters/container.ts';
import { resolveClick } from '../services/tracking.ts';
import { page, publicPage } from './middleware/page.ts';

export const handler = publicPage(async (event) => {
  const http = event.requestContext.http;
  const url = await resolveClick(container(), event.pathParameters?.token ?? '', {
    ...(http.sourceIp ? { ip: http.sourceIp } : {}),
    ...(http.userAgent ? { userAgent: http.userAgent } : {}),
  });
  if (!url) return page(404, 'Link not found', '<h1>This link is not valid</h1><p class="note">Open it again from the mail.</p>');
  return { statusCode: 302, headers: { location: url, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' }, body: '' };
});
