/** Shapes shared by every route. Types come from the schemas (`z.infer`), never from a parallel interface. */
import * as z from 'zod';

export const ErrorResponseSchema = z
  .object({
    error: z.object({
      code: z.string().meta({ description: 'Stable machine-readable code, e.g. `validation_failed`.' }),
      message: z.string(),
      details: z.array(z.object({ path: z.string().optional(), message: z.string() })),
    }),
  })
  .meta({ id: 'Error' });

const Probe = z.enum(['ok', 'unreachable', 'missing_table', 'sending_paused']);

export const HealthResponseSchema = z
  .object({
    status: z.enum(['ok', 'degraded']),
    dynamodb: Probe,
    ses: Probe,
    tables: z.record(z.string(), Probe),
  })
  .meta({ id: 'Health' });

export type HealthResponse = z.infer<typeof HealthResponseSchema>;
