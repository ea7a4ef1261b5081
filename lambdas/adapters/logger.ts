/**
 * The one Powertools Logger of a Lambda process. Whatever a handler logs, an email address or an IP address never
 * reaches the log: the replacer masks them in every string value before it is written.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { redactingReplacer } from '../domain/redact.ts';

export const logger = new Logger({
  serviceName: 'sendwell',
  jsonReplacerFn: redactingReplacer,
});
