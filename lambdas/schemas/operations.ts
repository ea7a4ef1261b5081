/**
 * What each operation of the route table takes and answers, by `operationId`. The OpenAPI document is generated
 * from this map and the route table; a test fails if a route has no entry here.
 */
import type { z } from 'zod';
import { ErrorResponseSchema, HealthResponseSchema } from './common.ts';

export interface OperationSchemas {
  readonly body?: z.ZodType;
  readonly query?: z.ZodType;
  readonly params?: z.ZodType;
  readonly responses: Readonly<Record<number, { readonly description: string; readonly schema?: z.ZodType }>>;
}

const unauthorized = { description: 'Missing or wrong credentials', schema: ErrorResponseSchema };

export const OPERATIONS: Readonly<Record<string, OperationSchemas>> = {
  getHealth: {
    responses: {
      200: { description: 'Every dependency answers', schema: HealthResponseSchema },
      503: { description: 'A dependency does not answer', schema: HealthResponseSchema },
    },
  },
  getOpenApi: {
    responses: { 200: { description: 'The OpenAPI 3.1 document' }, 401: unauthorized },
  },
};
