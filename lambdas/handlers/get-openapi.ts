/** `GET /v1/openapi.json` — the admin API described from the same route table and zod schemas it runs on. */
import { adminRoute } from './middleware/admin-route.ts';
import { json } from './middleware/http.ts';
import { buildOpenApi } from '../schemas/openapi.ts';
import { OPERATIONS } from '../schemas/operations.ts';
import { ROUTES } from '../wiring/routes.ts';

const document = buildOpenApi(ROUTES, OPERATIONS, { title: 'Sendwell admin API', version: '1' });

export const handler = adminRoute({}, async () => json(200, document));
