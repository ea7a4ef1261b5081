/**
 * `npm run bench:pixel [-- --opens N --concurrency C]`: where an open's time goes. The pixel's service
 * (`recordOpen`, what the `/o/{token}.gif` handler calls) in this process against DynamoDB Local (in memory), opening
 * the mails of 50 recipients over and over at a fixed concurrency, as `bench:load` does through the gateway. Prints
 * opens/s and, for each DynamoDB command, how many calls an open makes and their mean latency, and the same for the
 * steps of an open timed apart (token check, reads, classifier and pseudonym, the open's writes, the counters),
 * against a raw PutItem at the same concurrency in the same run. Never fails on a time.
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { TABLE_LIST, TABLES } from '../lambdas/wiring/tables.ts';
import { startDynamoDbLocal } from '../local/dynamodb-local.ts';
import { handlerEnv, localTableName } from '../local/handler-env.ts';
import { generateKeys } from '../local/keys.ts';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../local/local-aws.ts';
import { freePort } from '../local/ports.ts';
import { startSesLocal } from '../local/ses-local.ts';
import { ensureTables } from '../local/tables.ts';
import { integerOption, parseCli, runCli } from './cli.ts';
import { mapLimit } from './public-setup.ts';

const HOST = '127.0.0.1';
const TABLE_PREFIX = 'sendwell-pixel';
const MAILED = 50;
const IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148';

const USAGE = `Usage: npm run bench:pixel -- [options]

  --opens N        opens to record (default 400)
  --concurrency C  opens at once (default 8, as bench:load's connections)
  --help           this text`;

interface Options {
  readonly opens: number;
  readonly concurrency: number;
}

function parseOptions(args: string[]): Options | undefined {
  const values = parseCli(args, { opens: { type: 'string' }, concurrency: { type: 'string' } });
  if (values === undefined) return undefined;
  return {
    opens: integerOption('opens', values.opens as string | undefined, 400, 10, 100_000),
    concurrency: integerOption('concurrency', values.concurrency as string | undefined, 8, 1, 64),
  };
}

/** Per DynamoDB command: calls and summed latency, from an SDK middleware or around the lean client's `send`. */
class CommandTimer {
  readonly calls = new Map<string, { n: number; ms: number }>();
  counting = false;
  #add(name: string, ms: number): void {
    const c = this.calls.get(name) ?? { n: 0, ms: 0 };
    c.n += 1;
    c.ms += ms;
    this.calls.set(name, c);
  }
  /** Times the calls of the public routes' lean client (lambdas/adapters/dynamo/lean-db.ts), which the pixel uses. */
  wrap(db: { send: (command: any) => Promise<any> }): void {
    const send = db.send.bind(db);
    db.send = async (command: { operation: string }) => {
      if (!this.counting) return send(command);
      const t = performance.now();
      try {
        return await send(command);
      } finally {
        this.#add(command.operation, performance.now() - t);
      }
    };
  }
  attach(client: { middlewareStack: { add: (mw: any, options: { step: 'initialize'; name: string }) => void } }): void {
    client.middlewareStack.add(
      (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) => async (args: unknown) => {
        if (!this.counting) return next(args);
        const t = performance.now();
        try {
          return await next(args);
        } finally {
          this.#add((context.commandName ?? 'unknown').replace(/Command$/, ''), performance.now() - t);
        }
      },
      { step: 'initialize', name: 'bench-pixel-timer' },
    );
  }
}

async function run(options: Options): Promise<void> {
  const stops: Array<() => Promise<void>> = [];
  try {
    const ports = new Set<number>();
    while (ports.size < 2) ports.add(await freePort(HOST));
    const [dynamoPort, sesPort] = [...ports] as [number, number];
    const ses = await startSesLocal({ host: HOST, port: sesPort });
    stops.push(ses.stop);
    const dynamo = await startDynamoDbLocal({ host: HOST, port: dynamoPort });
    stops.push(dynamo.stop);
    const setupClient = new DynamoDBClient({ endpoint: dynamo.endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
    stops.push(async () => setupClient.destroy());
    await ensureTables(setupClient, TABLE_LIST, (def) => localTableName(def, TABLE_PREFIX));
    Object.assign(process.env, handlerEnv({ dynamodb: dynamo.endpoint, ses: ses.endpoint, publicBaseUrl: `http://${HOST}:1`, keys: generateKeys(), tablePrefix: TABLE_PREFIX }), {
      POWERTOOLS_LOG_LEVEL: 'WARN',
    });
    const { dynamoClient } = await import('../lambdas/adapters/clients.ts');
    const { container } = await import('../lambdas/adapters/container.ts');
    const { leanDb, publicContainer } = await import('../lambdas/adapters/public-container.ts');
    const { createTopic, saveTemplate } = await import('../lambdas/services/catalog.ts');
    const { createRecipientRecord } = await import('../lambdas/services/recipient-records.ts');
    const { sendMessage } = await import('../lambdas/services/send.ts');
    const { recordOpen } = await import('../lambdas/services/tracking.ts');
    const { signToken, verifyToken } = await import('../lambdas/domain/tokens.ts');
    const { classifyOpen } = await import('../lambdas/domain/open-classifier.ts');
    const { pseudonymizeIp } = await import('../lambdas/domain/pseudonymize.ts');
    const timer = new CommandTimer();
    timer.attach(dynamoClient());
    timer.wrap(leanDb());
    // Setup on the full container; the opens on the pixel function's own (its stores on the lean client).
    const deps = container();
    const pixel = publicContainer();

    const runId = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
    const topic = `pixel-${runId}`;
    await createTopic(deps, { id: topic, name: 'Pixel bench', description: 'bench:pixel' });
    await saveTemplate(
      deps,
      { id: topic, class: 'marketing', topic, subject: 'Hi', html: '<p>Hi</p><p><a href="{{unsubscribe_url}}">Unsubscribe</a> {{postal_address}}</p>', text: 'Hi {{unsubscribe_url}} {{postal_address}}' },
      'create',
    );
    const at = new Date().toISOString();
    const mailed = await mapLimit(Array.from({ length: MAILED }, (_, i) => i), 8, async (i) => {
      const { recipient } = await createRecipientRecord(deps, { email: `p${i}.${runId}@bench.example.com`, country: 'US' }, { source: 'import', actor: 'bench' }, [
        { topic, status: 'opted_in', confirmedAt: at, evidence: { at } },
      ]);
      const sent = await sendMessage(deps, { template: topic, to: { recipientId: recipient.id }, data: {} });
      if (sent.status !== 'sent') throw new Error(`setup: mail held (${sent.reason})`);
      return { recipientId: recipient.id, messageId: sent.messageId };
    });
    const keys = await deps.keys();
    const tokens = mailed.map((m) => signToken({ purpose: 'open', recipientId: m.recipientId, messageId: m.messageId, issuedAt: Math.floor(Date.now() / 1000) }, keys.tokens));
    const signal = { ip: '127.0.0.1', userAgent: IPHONE };
    const requests = Array.from({ length: options.opens }, (_, i) => tokens[i % tokens.length]!);

    // Warm-up, then the timed opens.
    await mapLimit(requests.slice(0, 50), options.concurrency, (token) => recordOpen(pixel, token, signal));
    const load1 = os.loadavg()[0] ?? Number.NaN;
    timer.counting = true;
    let t = performance.now();
    await mapLimit(requests, options.concurrency, async (token) => {
      const outcome = await recordOpen(pixel, token, signal);
      if (outcome !== 'recorded') throw new Error(`open not recorded: ${outcome}`);
    });
    const opensMs = performance.now() - t;
    timer.counting = false;

    // The steps without the database, timed on their own (the CPU an open costs besides its calls).
    t = performance.now();
    for (const token of requests) {
      verifyToken(token, 'open', keys.tokens, new Date());
      classifyOpen({ ...signal, at: new Date(), sentAt: new Date(Date.now() - 60_000) });
      pseudonymizeIp(signal.ip, keys.ipKey);
    }
    const cpuStepsMs = performance.now() - t;

    // Baseline: a raw PutItem of an open-sized event, same concurrency, same run.
    const raw = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: dynamo.endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS }));
    stops.push(async () => raw.destroy());
    const table = localTableName(TABLES.messages, TABLE_PREFIX);
    const put = (i: number) =>
      raw.send(new PutCommand({ TableName: table, Item: { pk: `M#raw-${i % MAILED}`, sk: `E#${new Date().toISOString()}#open#${i}`, at: new Date().toISOString(), type: 'open', detail: { userAgent: IPHONE } } }));
    await mapLimit(Array.from({ length: 50 }, (_, i) => i), options.concurrency, put);
    t = performance.now();
    await mapLimit(Array.from({ length: options.opens }, (_, i) => i), options.concurrency, put);
    const putMs = performance.now() - t;
    const load2 = os.loadavg()[0] ?? Number.NaN;

    const perSecond = (n: number, ms: number) => Math.round((n / ms) * 1000);
    console.log(`bench:pixel · node ${process.version} · ${os.availableParallelism()} cores · load average ${load1.toFixed(2)} → ${load2.toFixed(2)} · DynamoDB Local in memory, in-process service (no HTTP)`);
    console.log(`opens       ${options.opens} at concurrency ${options.concurrency} over ${MAILED} messages: ${perSecond(options.opens, opensMs)} opens/s, ${(opensMs / options.opens).toFixed(1)} ms of wall time each`);
    console.log(`raw PutItem ${options.opens} at concurrency ${options.concurrency}: ${perSecond(options.opens, putMs)} puts/s (ratio opens/s ÷ puts/s ${(opensMs > 0 ? putMs / opensMs : 0).toFixed(2)})`);
    console.log(`CPU steps   token check + classifier + IP pseudonym: ${((cpuStepsMs * 1000) / options.opens).toFixed(0)} µs per open`);
    console.log('per open    DynamoDB command    calls  mean ms (in flight at concurrency)');
    for (const [name, c] of [...timer.calls.entries()].sort((a, b) => b[1].n - a[1].n)) {
      console.log(`            ${name.padEnd(18)} ${(c.n / options.opens).toFixed(2).padStart(6)}  ${(c.ms / c.n).toFixed(1).padStart(7)}`);
    }
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  }
}

await runCli(USAGE, parseOptions, run);
