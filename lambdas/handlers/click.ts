/**
 * `GET /c/{token}` — 302 to the link that was in that message, at the index signed into the token. Never to a URL
 * from the request: anything that does not resolve is a 404 page, so this is no open redirect. The `Location` is the
 * URL as the URL parser writes it (absolute, encoded). A HEAD answers the same and is never counted. After the
 * person's data was erased, a link the template shares with every recipient still leads on (nothing recorded); one
 * that depended on the person says so.
 */
import { publicContainer } from '../adapters/public-container.ts';
import { resolveClick } from '../services/tracking.ts';
import { ERASED_NOTE, page, publicPage } from './middleware/page.ts';

export const handler = publicPage(async (event) => {
  const http = event.requestContext.http;
  const outcome = await resolveClick(publicContainer(), event.pathParameters?.token ?? '', {
    ...(http.sourceIp ? { ip: http.sourceIp } : {}),
    ...(http.userAgent ? { userAgent: http.userAgent } : {}),
    ...(http.method ? { method: http.method } : {}),
  });
  if (outcome.kind === 'erased') {
    return page(410, 'Link no longer available', `<h1>This link is no longer available</h1><p>${ERASED_NOTE}</p><p class="note">The link was made for you personally, so it went with your data.</p>`);
  }
  if (outcome.kind === 'invalid') return page(404, 'Link not found', '<h1>This link is not valid</h1><p class="note">Open it again from the mail.</p>');
  return { statusCode: 302, headers: { location: outcome.url, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' }, body: '' };
});
