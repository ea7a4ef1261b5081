/**
 * `GET /o/{token}.gif` — the open pixel: always the same 43-byte transparent GIF, always 200, never cached, for a
 * valid, forged or garbled token alike (no oracle). A HEAD is never counted. The open is recorded first; whatever goes wrong there is logged,
 * never shown.
 */
import type { Context } from 'aws-lambda';
import { publicContainer } from '../adapters/public-container.ts';
import { logger } from '../adapters/logger.ts';
import { publishMetrics } from '../adapters/metrics.ts';
import { recordOpen } from '../services/tracking.ts';
import type { HttpEvent, HttpResult } from './middleware/http.ts';

/** GIF89a, 1×1: header, screen descriptor, 2-colour table, transparency extension, one image block, trailer. */
export const PIXEL_GIF = Buffer.from(
  '474946383961' + '010001008000' + '00' + '000000ffffff' + '21f90401000000' + '00' + '2c000000000100010000' + '0202440100' + '3b',
  'hex',
);

const RESPONSE: HttpResult = {
  statusCode: 200,
  headers: {
    'content-type': 'image/gif',
    'content-length': String(PIXEL_GIF.length),
    'cache-control': 'no-store, no-cache, must-revalidate, max-age=0',
    pragma: 'no-cache',
    expires: '0',
  },
  body: PIXEL_GIF.toString('base64'),
  isBase64Encoded: true,
};

export const handler = async (event: HttpEvent, _context: Context): Promise<HttpResult> => {
  try {
    const token = (event.pathParameters?.token ?? '').replace(/\.gif$/i, '');
    const http = event.requestContext?.http;
    await recordOpen(publicContainer(), token, {
      ...(http?.sourceIp ? { ip: http.sourceIp } : {}),
      ...(http?.userAgent ? { userAgent: http.userAgent } : {}),
      ...(http?.method ? { method: http.method } : {}),
    });
  } catch (e) {
    logger.error('open not recorded', { error: e as Error });
  }
  // No middy on the hottest path: the open's metrics are flushed here.
  publishMetrics();
  return RESPONSE;
};
