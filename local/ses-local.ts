/**
 * The local SES v2 endpoint (aws-ses-v2-local), in process and on loopback. Its page at `/` lists every mail sent;
 * `GET /store` returns them as JSON.
 */
import type { Server } from 'node:http';
import { LocalStackError } from './errors.ts';

export interface RunningSesLocal {
  readonly endpoint: string;
  stop(): Promise<void>;
}

/**
 * The emulated SES account GetAccount answers with (aws-ses-v2-local reads it from `AWS_SES_ACCOUNT`): production
 * access, sending enabled, and the send rate the local stack paces campaigns by.
 */
export const LOCAL_SES_ACCOUNT = {
  DedicatedIpAutoWarmupEnabled: false,
  Details: {
    AdditionalContactEmailAddresses: [],
    ContactLanguage: 'EN',
    MailType: 'MARKETING',
    ReviewDetails: { CaseId: 'local', Status: 'GRANTED' },
    UseCaseDescription: 'Sendwell local stack (emulated account)',
    WebsiteURL: 'http://127.0.0.1',
  },
  EnforcementStatus: 'HEALTHY',
  ProductionAccessEnabled: true,
  SendingEnabled: true,
  SendQuota: { Max24HourSend: 1_000_000, MaxSendRate: 200, SentLast24Hours: 0 },
  SuppressionAttributes: { SuppressedReasons: [] },
};

export async function startSesLocal(options: { host?: string; port: number }): Promise<RunningSesLocal> {
  const host = options.host ?? '127.0.0.1';
  // The emulator reads its account per request from the environment; keep one the caller set on purpose.
  process.env.AWS_SES_ACCOUNT ??= JSON.stringify(LOCAL_SES_ACCOUNT);
  // The package is CommonJS with `exports.default`; Node's ESM loader wraps it once more.
  type Start = (config: { host: string; port: number }) => Promise<Server>;
  const mod = (await import('aws-ses-v2-local')) as unknown as { default: Start | { default: Start } };
  const start: Start = typeof mod.default === 'function' ? mod.default : mod.default.default;
  let server: Server;
  try {
    server = await start({ host, port: options.port });
  } catch (e) {
    throw new LocalStackError(`The local SES could not listen on ${host}:${options.port}: ${(e as Error).message}`);
  }
  if (!server.listening) {
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve);
      server.once('error', (e) => reject(new LocalStackError(`The local SES could not listen on ${host}:${options.port}: ${e.message}`)));
    });
  }
  return {
    endpoint: `http://${host}:${options.port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
