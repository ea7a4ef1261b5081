/**
 * Probes the services Sendwell depends on. Each probe answers `ok` or a short word for what failed; the reason goes
 * to the log, never to the caller (the health route is public).
 */
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { GetAccountCommand } from '@aws-sdk/client-sesv2';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SESv2Client } from '@aws-sdk/client-sesv2';
import { logger } from './logger.ts';

export type ProbeResult = 'ok' | 'unreachable' | 'missing_table' | 'sending_paused';

export interface HealthReport {
  readonly status: 'ok' | 'degraded';
  readonly dynamodb: ProbeResult;
  readonly ses: ProbeResult;
  readonly tables: Readonly<Record<string, ProbeResult>>;
}

export interface HealthDeps {
  readonly dynamo: DynamoDBClient;
  readonly ses: SESv2Client;
  readonly tables: Readonly<Record<string, string>>;
  /** @default 2000 */
  readonly timeoutMs?: number;
}

async function probeTable(dynamo: DynamoDBClient, name: string, signal: AbortSignal): Promise<ProbeResult> {
  try {
    const out = await dynamo.send(new DescribeTableCommand({ TableName: name }), { abortSignal: signal });
    return out.Table?.TableStatus === 'ACTIVE' || out.Table?.TableStatus === 'UPDATING' ? 'ok' : 'missing_table';
  } catch (e) {
    if ((e as Error).name === 'ResourceNotFoundException') return 'missing_table';
    logger.warn('dynamodb probe failed', { table: name, error: (e as Error).name });
    return 'unreachable';
  }
}

async function probeSes(ses: SESv2Client, signal: AbortSignal): Promise<ProbeResult> {
  try {
    const out = await ses.send(new GetAccountCommand({}), { abortSignal: signal });
    return out.SendingEnabled === false ? 'sending_paused' : 'ok';
  } catch (e) {
    logger.warn('ses probe failed', { error: (e as Error).name });
    return 'unreachable';
  }
}

/** Probes every table and SES in parallel, bounded by a timeout so a dead dependency cannot hang the route. */
export async function checkHealth(deps: HealthDeps): Promise<HealthReport> {
  const signal = AbortSignal.timeout(deps.timeoutMs ?? 2000);
  const entries = Object.entries(deps.tables);
  const [sesResult, ...tableResults] = await Promise.all([
    probeSes(deps.ses, signal),
    ...entries.map(([, name]) => probeTable(deps.dynamo, name, signal)),
  ]);
  const tables = Object.fromEntries(entries.map(([key], i) => [key, tableResults[i] ?? 'unreachable']));
  const dynamodb: ProbeResult = tableResults.includes('unreachable')
    ? 'unreachable'
    : tableResults.includes('missing_table')
      ? 'missing_table'
      : 'ok';
  const ses = sesResult ?? 'unreachable';
  return { status: dynamodb === 'ok' && ses === 'ok' ? 'ok' : 'degraded', dynamodb, ses, tables };
}
