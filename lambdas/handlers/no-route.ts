/**
 * The `$default` route of the HTTP API: every request no route takes. API Gateway would answer those itself with
 * `{"message":"Not Found"}`; this answers in the API's error shape instead — 405 with `Allow` when the path exists
 * with other methods, else 404. It reads nothing and needs no permission.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { noRouteAnswer } from '../wiring/route-match.ts';
import { ROUTES } from '../wiring/routes.ts';

export function noRouteResult(event: Pick<APIGatewayProxyEventV2, 'rawPath' | 'requestContext'>): APIGatewayProxyStructuredResultV2 {
  const method = event.requestContext?.http?.method ?? 'GET';
  const answer = noRouteAnswer(ROUTES, method, event.rawPath ?? '/');
  return {
    statusCode: answer.status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...answer.headers },
    body: JSON.stringify(answer.body),
  };
}

export const handler = async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => noRouteResult(event);
