/**
 * `npm run bench:cold`: the cold start of every Lambda function. Each function's entry is bundled with esbuild exactly
 * as CDK bundles it for Lambda (`lambdaEsbuildOptions` of `lib/bundling.ts`, the options `lib/functions.ts` hands
 * NodejsFunction), its size reported, and its **module init time** measured in fresh Node processes: a tiny probe
 * script records `performance.now()` around `await import(bundle)`, several fresh processes per function (rounds
 * interleaved over all functions), median reported. Baselines from the same run: an empty ESM module, zod bundled
 * alone the same way, and `@aws-sdk/client-dynamodb` alone (external, as the Lambda runtime provides it).
 *
 * The bundles go to `node_modules/.cache/sendwell-cold-start/` so that `@aws-sdk/*`, left out of the bundle as on
 * Lambda, resolves from the project's `node_modules` the way the runtime's copy resolves on AWS. The probe processes
 * get the handler environment of the local stack (nothing is contacted: no handler does I/O at init) and the
 * `NODE_OPTIONS` every deployed function has. It never fails on a time.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { LAMBDA_NODE_OPTIONS, lambdaEsbuildOptions } from '../lib/bundling.ts';
import { EVENT_FUNCTIONS } from '../lambdas/wiring/event-functions.ts';
import { FUNCTIONS } from '../lambdas/wiring/routes.ts';
import { handlerEnv } from '../local/handler-env.ts';
import { generateKeys } from '../local/keys.ts';
import { integerOption, parseCli, runCli } from './cli.ts';
import { median } from './harness.ts';
import { type BenchSection, markdownTable, textTable } from './report.ts';

const ROOT = resolve(fileURLToPath(import.meta.url), '../..');
const OUT = join(ROOT, 'node_modules', '.cache', 'sendwell-cold-start');
/** The routes a mail recipient hits: their cold start is what a person waits for. Listed first. */
const PUBLIC = ['openPixel', 'click', 'unsubscribe', 'preferences', 'confirm'] as const;
const DEFAULT_ROUNDS = 5;
const MIN_ROUNDS = 3;
/** Without --rounds, no new round starts once the bench would pass this (at least MIN_ROUNDS run). */
const BUDGET_MS = 45_000;
const PROBE_TIMEOUT_MS = 30_000;

export interface ColdStartOptions {
  readonly rounds: number;
  readonly budgetMs?: number;
}

interface Subject {
  readonly key: string;
  readonly kind: 'baseline' | 'public' | 'http' | 'event';
  readonly label: string;
  /** The module the probe imports. */
  readonly file: string;
  /** Bytes of the bundle (undefined for the SDK baseline, which is not bundled). */
  readonly bytes?: number;
  readonly gzipBytes?: number;
}

interface Probe {
  readonly importMs: number;
  readonly handler: string;
}

// The probe: a fresh process, the time around one dynamic import, printed as JSON. It exits at once, since a
// handler module may hold open handles (SDK agents, timers) that would keep the process alive.
const PROBE = `const file = process.argv[2];
const t0 = performance.now();
const m = await import(file);
const importMs = performance.now() - t0;
process.stdout.write(JSON.stringify({ importMs, handler: typeof m.handler }));
process.exit(0);
`;

async function bundle(key: string, entry: string): Promise<{ file: string; bytes: number; gzipBytes: number }> {
  const file = join(OUT, key, 'index.mjs');
  await build(lambdaEsbuildOptions(entry, file));
  const bytes = statSync(file).size;
  return { file, bytes, gzipBytes: gzipSync(readFileSync(file)).length };
}

function probe(file: string, env: Record<string, string>): Promise<Probe> {
  return new Promise((ok, fail) => {
    const child = spawn(process.execPath, [join(OUT, 'probe.mjs'), file], { cwd: OUT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), PROBE_TIMEOUT_MS);
    child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (err += c.toString('utf8')));
    child.once('error', fail);
    child.once('exit', (code) => {
      clearTimeout(timer);
      try {
        if (code !== 0) throw new Error(`exit ${code}`);
        ok(JSON.parse(out) as Probe);
      } catch {
        fail(new Error(`probe of ${file} failed (exit ${code}): ${err.slice(0, 500) || out.slice(0, 200)}`));
      }
    });
  });
}

const int = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const ms = (v: number) => (v < 10 ? v.toFixed(2) : v.toFixed(1));
const ratio = (v: number) => (v < 10 ? v.toFixed(2) : v.toFixed(1));
const kib = (b: number | undefined) => (b === undefined ? '–' : (b / 1024).toFixed(0));

export async function runColdStartBench(options: ColdStartOptions): Promise<BenchSection> {
  const started = performance.now();
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  writeFileSync(join(OUT, 'probe.mjs'), PROBE);
  writeFileSync(join(OUT, 'empty.mjs'), 'export {};\n');
  writeFileSync(join(OUT, 'sdk-dynamodb.mjs'), "export * from '@aws-sdk/client-dynamodb';\n");
  writeFileSync(join(OUT, 'zod-entry.mjs'), "export * from 'zod';\n");

  // Bundle: every function the way CDK does, and zod alone with the same options.
  const t0 = performance.now();
  const zod = await bundle('zod-alone', join(OUT, 'zod-entry.mjs'));
  const subjects: Subject[] = [
    { key: 'empty', kind: 'baseline', label: 'baseline: empty ESM module', file: join(OUT, 'empty.mjs'), bytes: 11 },
    { key: 'zod', kind: 'baseline', label: 'baseline: zod alone (bundled the same way)', ...zod },
    { key: 'sdk', kind: 'baseline', label: 'baseline: @aws-sdk/client-dynamodb alone (external, as on Lambda)', file: join(OUT, 'sdk-dynamodb.mjs') },
  ];
  const http = Object.entries(FUNCTIONS) as [string, { entry: string }][];
  const ordered = [...PUBLIC.map((k) => [k, FUNCTIONS[k]] as [string, { entry: string }]), ...http.filter(([k]) => !(PUBLIC as readonly string[]).includes(k))];
  for (const [key, def] of ordered) {
    subjects.push({ key, kind: (PUBLIC as readonly string[]).includes(key) ? 'public' : 'http', label: key, ...(await bundle(key, join(ROOT, def.entry))) });
  }
  for (const [key, def] of Object.entries(EVENT_FUNCTIONS)) subjects.push({ key, kind: 'event', label: key, ...(await bundle(key, join(ROOT, def.entry))) });
  const bundleMs = performance.now() - t0;

  // The environment a handler needs to load (it parses its configuration at module load). Nothing listens on
  // port 9: no handler contacts anything at init, and one that tried would fail its probe.
  const nowhere = 'http://127.0.0.1:9';
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    ...handlerEnv({ dynamodb: nowhere, ses: nowhere, publicBaseUrl: 'https://mail.example', keys: generateKeys() }),
    NODE_OPTIONS: LAMBDA_NODE_OPTIONS,
  };

  // Rounds, interleaved: round r probes every subject once, so load drift lands on all of them alike.
  const samples = new Map<string, number[]>(subjects.map((s) => [s.key, []]));
  let rounds = 0;
  let roundMs = 0;
  const deadline = options.budgetMs === undefined ? Number.POSITIVE_INFINITY : started + options.budgetMs;
  while (rounds < options.rounds) {
    if (rounds >= MIN_ROUNDS && performance.now() + roundMs > deadline) break;
    const r0 = performance.now();
    for (const s of subjects) {
      const p = await probe(s.file, env);
      if (s.kind !== 'baseline' && p.handler !== 'function') throw new Error(`${s.key}: the bundle exports no handler function`);
      samples.get(s.key)?.push(p.importMs);
    }
    roundMs = performance.now() - r0;
    rounds++;
  }

  const med = (key: string) => median(samples.get(key) ?? []);
  const sdk = med('sdk');
  const empty = med('empty');
  const header = ['module', 'kind', 'bundle bytes', 'KiB', 'gzip KiB', 'init ms (median)', 'min–max ms', '× DynamoDB client init', 'ms above empty module'];
  const rows = subjects.map((s) => {
    const v = samples.get(s.key) ?? [];
    const m = med(s.key);
    return [
      s.label,
      s.kind,
      s.bytes === undefined ? '–' : int.format(s.bytes),
      kib(s.bytes),
      kib(s.gzipBytes),
      ms(m),
      `${ms(Math.min(...v))}–${ms(Math.max(...v))}`,
      s.key === 'sdk' ? '1.00 (base)' : ratio(m / sdk),
      s.key === 'empty' ? '0 (base)' : ms(m - empty),
    ];
  });
  const totalS = (performance.now() - started) / 1000;
  const cut = rounds < options.rounds ? ` (${options.rounds} asked; cut to stay within ~${(options.budgetMs ?? 0) / 1000} s)` : '';
  const lines = [
    `bundled ${subjects.length - 1} modules in ${(bundleMs / 1000).toFixed(1)} s with lib/bundling.ts (minified ESM, target node24, source maps without sources, @aws-sdk/* external)`,
    `init = performance.now() around \`await import(bundle)\` in a fresh \`node\` process (${process.version}, NODE_OPTIONS=${LAMBDA_NODE_OPTIONS}, the handler environment); ` +
      `median of ${rounds} fresh processes per module${cut}, rounds interleaved over all modules`,
    `× DynamoDB client init = the module's median ÷ the median of importing @aws-sdk/client-dynamodb alone (${ms(sdk)} ms), same run · ` +
      `ms above empty module = the median minus an empty module's (${ms(empty)} ms)`,
  ];
  console.log('Sendwell cold start: bundle size and module init time per Lambda function');
  console.log(`node ${process.version} · ${os.cpus()[0]?.model ?? 'unknown CPU'} · ${os.availableParallelism()} cores · load average ${os.loadavg()[0]?.toFixed(2)}`);
  console.log('');
  console.log(textTable(header, rows));
  console.log('');
  for (const l of lines) console.log(l);
  console.log(`total ${totalS.toFixed(1)} s`);

  const publicRows = subjects.filter((s) => s.kind === 'public');
  const largestPublic = Math.max(...publicRows.map((s) => s.bytes ?? 0));
  const markdown = [
    'Each function bundled exactly as CDK bundles it for Lambda (`lib/bundling.ts`), its size, and its module init time:',
    '`performance.now()` around `await import(bundle)` in a fresh Node process. Public routes (what a mail recipient',
    'waits for) first, then the other HTTP functions, then the event functions. Not included: the Lambda runtime\'s own',
    'start (sandbox, Node boot, about the same for every function) and the first request\'s work (connections, key reads).',
    'A 256 MB Lambda has a fraction of a vCPU, so init on AWS is slower than here; compare the ratios.',
    '',
    markdownTable(header, rows),
    '',
    ...lines.map((l) => `- ${l}`),
    `- largest public-route bundle: ${kib(largestPublic)} KiB, ${ratio(largestPublic / (zod.bytes || 1))} × zod bundled alone (${kib(zod.bytes)} KiB)`,
  ].join('\n');
  return { title: 'Cold start: bundle size and module init time (`npm run bench:cold`)', markdown };
}

const USAGE = `Usage: npm run bench:cold -- [options]

  --rounds R   fresh processes per module; the median is reported (default ${DEFAULT_ROUNDS}; without
               --rounds, no new round starts once the bench would pass ~${BUDGET_MS / 1000} s, at least ${MIN_ROUNDS} run)
  --help       this text`;

export function parseColdStartOptions(args: string[]): ColdStartOptions | undefined {
  const values = parseCli(args, { rounds: { type: 'string' } });
  if (values === undefined) return undefined;
  const raw = values.rounds as string | undefined;
  return { rounds: integerOption('rounds', raw, DEFAULT_ROUNDS, 1, 100), ...(raw === undefined && { budgetMs: BUDGET_MS }) };
}

if (import.meta.main) await runCli(USAGE, parseColdStartOptions, async (o) => void (await runColdStartBench(o)));
