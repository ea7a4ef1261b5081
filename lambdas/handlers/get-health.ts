/** `GET /health` — public; 200 when DynamoDB and SES answer, 503 with the same shape when one does not. */
import { httpRoute, json } from './middleware/http.ts';
import { checkHealth } from '../adapters/health-probe.ts';
import { dynamoClient, sesClient } from '../adapters/clients.ts';
import { config } from '../adapters/config.ts';

const { tables } = config();

export const handler = httpRoute({}, async () => {
  const report = await checkHealth({ dynamo: dynamoClient(), ses: sesClient(), tables });
  return json(report.status === 'ok' ? 200 : 503, report);
});
