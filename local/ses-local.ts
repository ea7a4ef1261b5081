/**
 * The local SES v2 endpoint (aws-ses-v2-local), in process and on loopback. Its page at `/` lists every mail sent;
 * `GET /store` returns them as JSON.
 *
 * Around the package's own request handling, every SendEmail it accepts is told to `accepted` listeners (the SES
 * event emulator) and, with a {@link MailJournal}, written to the journal before the call answers; the mail an
 * earlier run journaled is shown in the viewer again.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import type { SentMail } from '../lambdas/adapters/ses-mailer.ts';
import { LocalStackError } from './errors.ts';
import type { MailJournal, StoredMail } from './mail-journal.ts';

export interface RunningSesLocal {
  readonly endpoint: string;
  /**
   * Told about every mail this SES accepted, before the SendEmail call answers (and after the journal has it). The
   * local stack's SES event emulator listens here: the events then describe exactly what SES took.
   */
  readonly accepted: Set<(mail: SentMail) => void>;
  stop(): Promise<void>;
}

export interface SesLocalOptions {
  readonly host?: string;
  readonly port: number;
  /** Where accepted mail is recorded durably (the local stack); omitted → memory only (tests). */
  readonly journal?: MailJournal;
  /**
   * Emulated SES latency: how long a SendEmail call waits, after the mail was accepted (and journaled), before it
   * answers. Widens the window in which a crash leaves a mail accepted but unknown to its sender (fault tests).
   * @default 0
   */
  readonly answerDelayMs?: number;
}

/**
 * aws-ses-v2-local's mail viewer, its links opening in a tab of their own: it shows each mail in a frame, and
 * Sendwell's pages refuse to be framed (`frame-ancestors 'none'`), so a preference link clicked there showed the
 * browser's "refused to connect" instead of the page. Read once; if its markup changes, the page is served as it is.
 */
let viewer: Promise<string> | undefined;
function viewerPage(): Promise<string> {
  viewer ??= (async () => {
    const { readFile } = await import('node:fs/promises');
    const require = createRequire(import.meta.url);
    const html = await readFile(require.resolve('aws-ses-v2-local/static/index.html'), 'utf8');
    const framed = 'iframeDoc.body.innerHTML = e.body.html;';
    if (!html.includes(framed)) throw new Error('viewer markup changed');
    return html.replace(framed, `iframeDoc.body.innerHTML = '<base target="_blank">' + e.body.html;`);
  })();
  return viewer;
}

/** aws-ses-v2-local's in-memory store (the same module instance its server uses). */
function sesStore(): { getStoreReadonly(): { emails: StoredMail[] }; clearStore(): void } {
  const require = createRequire(import.meta.url);
  return require('aws-ses-v2-local/dist/store.js') as { getStoreReadonly(): { emails: StoredMail[] }; clearStore(): void };
}

/**
 * aws-ses-v2-local draws message ids from 900 million numbers: across the runs a journal spans, two mails would share
 * one (and one's events be taken for the other's). A UUID instead, as unique as SES's own ids.
 */
function uniqueMessageIds(): void {
  const require = createRequire(import.meta.url);
  const util = require('aws-ses-v2-local/dist/util.js') as { getMessageId: () => string };
  util.getMessageId = () => `ses-${randomUUID()}`;
}

/** `[{Name, Value}]` → `{Name: Value}`. */
const tagsOf = (body: unknown): Record<string, string> =>
  Object.fromEntries(((body as { EmailTags?: Array<{ Name?: unknown; Value?: unknown }> } | undefined)?.EmailTags ?? []).map((t) => [String(t.Name), String(t.Value)]));

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

export async function startSesLocal(options: SesLocalOptions): Promise<RunningSesLocal> {
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

  uniqueMessageIds();
  const store = sesStore();
  const accepted = new Set<(mail: SentMail) => void>();
  const journal = options.journal;
  if (journal) store.getStoreReadonly().emails.push(...journal.shown());

  /**
   * Wraps the response of a SendEmail call: when aws-ses-v2-local answers 200 with a message id, the mail is
   * journaled (flushed) and the listeners told, and only then does the answer go out. A journal that cannot be
   * written turns the answer into a 500: the sender retries rather than trusting a mail no one can prove.
   */
  const watchSendEmail = (req: IncomingMessage & { body?: unknown }, res: ServerResponse) => {
    const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
    let answered = false;
    res.end = ((...args: unknown[]) => {
      if (answered || res.statusCode !== 200) return end(...args);
      answered = true;
      const [chunk] = args;
      let sesMessageId: string | undefined;
      try {
        sesMessageId = (JSON.parse(Buffer.isBuffer(chunk) ? chunk.toString('utf8') : String(chunk)) as { MessageId?: string }).MessageId;
      } catch {
        return end(...args);
      }
      if (!sesMessageId) return end(...args);
      const body = req.body as { Destination?: { ToAddresses?: string[] } } | undefined;
      const emails = store.getStoreReadonly().emails;
      let mail: StoredMail | undefined;
      for (let i = emails.length - 1; i >= 0 && i >= emails.length - 1000; i--) {
        if (emails[i]?.messageId === sesMessageId) {
          mail = emails[i];
          break;
        }
      }
      const sent: SentMail = { sesMessageId, to: body?.Destination?.ToAddresses?.[0] ?? '', tags: tagsOf(body), at: new Date().toISOString() };
      try {
        journal?.accepted({ ...sent, ...(mail ? { mail } : {}) });
      } catch (e) {
        res.statusCode = 500;
        res.setHeader('content-type', 'application/json');
        return end(JSON.stringify({ message: `aws-ses-v2-local (Sendwell): the mail journal could not be written: ${(e as Error).message}` }));
      }
      for (const listener of accepted) listener(sent);
      if (!options.answerDelayMs) return end(...args);
      setTimeout(() => end(...args), options.answerDelayMs);
      return res;
    }) as typeof res.end;
  };
  const [app] = server.listeners('request') as Array<(req: IncomingMessage, res: ServerResponse) => void>;
  if (!app) throw new LocalStackError('The local SES started without a request handler.');
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method === 'GET' && path === '/') return void viewerPage().then((html) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(html);
    }, () => app(req, res));
    if (req.method === 'POST' && path === '/v2/email/outbound-emails') watchSendEmail(req, res);
    // The viewer's "clear": older mail is not shown again after a restart either (its journal lines stay for replay).
    if (req.method === 'POST' && path === '/clear-store') res.once('finish', () => journal?.cleared());
    app(req, res);
  });

  return {
    endpoint: `http://${host}:${options.port}`,
    accepted,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
