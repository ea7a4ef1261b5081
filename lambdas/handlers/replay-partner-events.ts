/** Scheduled: sends partner deliveries that failed again, oldest first (and on demand on the local stack). */
import { logger } from '../adapters/logger.ts';
import { replayFailures } from '../services/partner-relay.ts';
import { relayDeps } from './relay-ledger-stream.ts';

export const handler = async (): Promise<{ delivered: number; waiting: number }> => {
  const result = await replayFailures(relayDeps());
  logger.info('partner replay', result);
  return result;
};
