/** Writes the OpenAPI document the API serves (`GET /v1/openapi.json`) to a file: `node scripts/write-openapi.ts out.json`. */
import { writeFileSync } from 'node:fs';
import { buildOpenApi } from '../lambdas/schemas/openapi.ts';
import { OPERATIONS } from '../lambdas/schemas/operations.ts';
import { ROUTES } from '../lambdas/wiring/routes.ts';

const out = process.argv[2];
if (!out) {
  console.error('Usage: node scripts/write-openapi.ts <file.json>');
  process.exit(2);
}
writeFileSync(out, `${JSON.stringify(buildOpenApi(ROUTES, OPERATIONS, { title: 'Sendwell admin API', version: '1' }), null, 2)}\n`);
