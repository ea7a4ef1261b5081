/**
 * Quiet hours and frequency caps as zod schemas (the delivery settings' API); the timing rules themselves
 * (lambdas/domain/delivery-timing.ts) import only their types.
 */
import * as z from 'zod';
import { MAX_CAP_DAYS } from '../domain/delivery-timing.ts';

const ClockSchema = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'use HH:MM, 00:00-23:59');

export const QuietHoursSchema = z
  .object({
    start: ClockSchema.meta({ description: 'Local time quiet hours begin, e.g. "21:00".' }),
    end: ClockSchema.meta({ description: 'Local time they end, e.g. "08:00" (the next morning when before start).' }),
  })
  .strict()
  .refine((q) => q.start !== q.end, { message: 'start and end must differ', path: ['end'] })
  .meta({ id: 'QuietHours', description: 'Read in each recipient’s own time zone. Marketing inside them is deferred to their end.' });
export type QuietHours = z.infer<typeof QuietHoursSchema>;

export const FrequencyCapSchema = z
  .object({
    max: z.number().int().min(1).max(1000).meta({ description: 'Marketing mails at most…' }),
    days: z.number().int().min(1).max(MAX_CAP_DAYS).meta({ description: '…in any rolling window of this many days.' }),
  })
  .strict()
  .meta({ id: 'FrequencyCap' });
export type FrequencyCap = z.infer<typeof FrequencyCapSchema>;
