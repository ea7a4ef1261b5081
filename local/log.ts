/** Structured (JSON line) log of the local stack itself; the handlers log through their own Powertools Logger. */
import { Logger } from '@aws-lambda-powertools/logger';
import { redactingReplacer } from '../lambdas/domain/redact.ts';

export const localLog = new Logger({
  serviceName: 'sendwell-local',
  logLevel: (process.env.SENDWELL_LOG_LEVEL as 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | undefined) ?? 'INFO',
  jsonReplacerFn: redactingReplacer,
});
