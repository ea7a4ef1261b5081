/**
 * `npm run bench:cold`: the cold start of every Lambda function. Each function's entry is bundled with esbuild exactly
 * as CDK bundles it for Lambda (`lambdaEsbuildOptions` of `lib/bundling.ts`, the options `lib/functions.ts` hands
 * NodejsFunction), its size reported, and its **module init time** measured in fresh Node processes: a tiny probe
 * script records `performance.now()` around `await import(bundle)`, several fresh processes per function (rounds
 * interleaved over all functions), median reported. Baselines from the same run: an empty ESM module, zod bundled
 * alone the same way, and `@aws-sdk/client-dynamodb` alone (external, as the Lambda runtime provides it).
 *
 * Issue 17's before and after in one run: the public routes are also bundled from the tree before #17
 * (`bench/baseline.ts`, extracted from git history, with that tree's own `lib/bundling.ts`), and today's public routes
 * both ways the SDK can come (`lambdaBundling`: the runtime's copy, external; or the clients a function uses
 * tree-shaken into its bundle). The table "before #17 | now" compares their bundle size (the AWS SDK not counted,
 * and in all when bundled) and their init ÷ the SDK import.
 *
 * The bundles go to `node_modules/.cache/sendwell-cold-start/<tree>/` so that `@aws-sdk/*`, left out of the bundle as
 * on Lambda, resolves from the project's `node_modules` the way the runtime's copy resolves on AWS. The probe processes
 * get the handler environment of the local stack (nothing is contacted: no handler does I/O at init) and the
 * `NODE_OPTIONS` every deployed function has. It never fails on a time.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build, type BuildOptions } from 'esbuild';
import { LAMBDA_NODE_OPTIONS, lambdaEsbuildOptions, type SdkBundling } from '../lib/bundling.ts';
import { BASELINE_LABEL, baselineTree } from './baseline.ts';
import { EVENT_FUNCTIONS } from '../lambdas/wiring/event-functions.ts';
import { FUNCTIONS, type FunctionDef } from '../lambdas/wiring/routes.ts';
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
  /** Only the baselines and the public routes (today's both SDK modes, and before #17): issue 17's table, sooner. */
  readonly publicOnly?: boolean;
  readonly budgetMs?: number;
}

interface Subject {
  readonly key: string;
  readonly kind: 'baseline' | 'public' | 'http' | 'event' | 'before' | 'variant';
  readonly label: string;
  /** The module the probe imports. */
  readonly file: string;
  /** Bytes of the bundle (undefined for the SDK baseline, which is not bundled). */
  readonly bytes?: number;
  readonly gzipBytes?: number;
  /** Bytes of the bundle that came from the AWS SDK (`@aws-sdk/*`, `@smithy/*`, `@aws-crypto/*`), when bundled in. */
  readonly sdkBytes?: number;
}

interface Probe {
  readonly importMs: number;
  /** CPU time (user + system) the import took: steadier than `importMs` on a loaded machine, which adds waits. */
  readonly cpuMs: number;
  readonly handler: string;
}

// The probe: a fresh process, the time (wall and CPU) around one dynamic import, printed as JSON. It exits at once,
// since a handler module may hold open handles (SDK agents, timers) that would keep the process alive.
const PROBE = `const file = process.argv[2];
const c0 = process.cpuUsage();
const t0 = performance.now();
const m = await import(file);
const importMs = performance.now() - t0;
const c = process.cpuUsage(c0);
process.stdout.write(JSON.stringify({ importMs, cpuMs: (c.user + c.system) / 1000, handler: typeof m.handler }));
process.exit(0);
`;

type EsbuildOptionsOf = (entry: string, outfile: string, sdk?: SdkBundling) => BuildOptions;

const SDK_INPUT = /node_modules\/(?:@aws-sdk|@smithy|@aws-crypto)\//;

/** Bundles `entry` with `options` (a tree's `lambdaEsbuildOptions`) into `OUT/<folder>/<key>/index.mjs`. */
async function bundle(folder: string, key: string, entry: string, sdk: SdkBundling = 'external', options: EsbuildOptionsOf = lambdaEsbuildOptions) {
  const file = join(OUT, folder, key, 'index.mjs');
  const result = await build({ ...options(entry, file, sdk), metafile: true });
  const output = Object.values(result.metafile.outputs).find((o) => o.entryPoint !== undefined);
  const sdkBytes = Object.entries(output?.inputs ?? {}).reduce((sum, [input, i]) => sum + (SDK_INPUT.test(input) ? i.bytesInOutput : 0), 0);
  const bytes = statSync(file).size;
  return { file, bytes, gzipBytes: gzipSync(readFileSync(file)).length, sdkBytes };
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
const withoutSdk = (s: { bytes?: number; sdkBytes?: number }) => (s.bytes === undefined ? undefined : s.bytes - (s.sdkBytes ?? 0));

export async function runColdStartBench(options: ColdStartOptions): Promise<BenchSection> {
  const started = performance.now();
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  writeFileSync(join(OUT, 'probe.mjs'), PROBE);
  writeFileSync(join(OUT, 'empty.mjs'), 'export {};\n');
  writeFileSync(join(OUT, 'sdk-dynamodb.mjs'), "export * from '@aws-sdk/client-dynamodb';\n");
  writeFileSync(join(OUT, 'zod-entry.mjs'), "export * from 'zod';\n");
  // The DynamoDB client and document client with the commands the stores use, nothing else: the floor of a public
  // route's init with the SDK bundled (tree-shaken) as deployed.
  writeFileSync(
    join(OUT, 'sdk-bundled-entry.mjs'),
    "export { DynamoDBClient } from '@aws-sdk/client-dynamodb';\n" +
      "export { DynamoDBDocumentClient, BatchGetCommand, BatchWriteCommand, DeleteCommand, GetCommand, PutCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';\n",
  );

  // Bundle: every function the way CDK does (its own SDK mode), zod alone with the same options, today's public routes
  // with the other SDK mode too, and the public routes of the tree before #17 with that tree's own options.
  const t0 = performance.now();
  const zod = await bundle('now', 'zod-alone', join(OUT, 'zod-entry.mjs'));
  const sdkBundled = await bundle('now', 'sdk-bundled', join(OUT, 'sdk-bundled-entry.mjs'), 'bundled');
  const subjects: Subject[] = [
    { key: 'empty', kind: 'baseline', label: 'baseline: empty ESM module', file: join(OUT, 'empty.mjs'), bytes: 11 },
    { key: 'zod', kind: 'baseline', label: 'baseline: zod alone, its full build (bundled the same way)', ...zod },
    { key: 'sdk', kind: 'baseline', label: 'baseline: @aws-sdk/client-dynamodb alone (external, as on Lambda)', file: join(OUT, 'sdk-dynamodb.mjs') },
    { key: 'sdk-bundled', kind: 'baseline', label: 'floor: the DynamoDB clients alone, bundled as the public routes bundle them', ...sdkBundled },
  ];
  const isPublic = (k: string) => (PUBLIC as readonly string[]).includes(k);
  const http = Object.entries(FUNCTIONS) as [string, FunctionDef][];
  const ordered = [...PUBLIC.map((k) => [k, FUNCTIONS[k]] as [string, FunctionDef]), ...(options.publicOnly ? [] : http.filter(([k]) => !isPublic(k)))];
  const sdkOf = (def: FunctionDef): SdkBundling => def.sdk ?? 'external';
  for (const [key, def] of ordered) {
    const label = isPublic(key) ? `${key} (SDK ${sdkOf(def)}, as deployed)` : key;
    subjects.push({ key, kind: isPublic(key) ? 'public' : 'http', label, ...(await bundle('now', key, join(ROOT, def.entry), sdkOf(def))) });
  }
  for (const [key, def] of options.publicOnly ? [] : Object.entries(EVENT_FUNCTIONS)) subjects.push({ key, kind: 'event', label: key, ...(await bundle('now', key, join(ROOT, def.entry), sdkOf(def as FunctionDef))) });
  for (const key of PUBLIC) {
    const other: SdkBundling = sdkOf(FUNCTIONS[key] as FunctionDef) === 'bundled' ? 'external' : 'bundled';
    subjects.push({ key: `${key}:${other}`, kind: 'variant', label: `${key} (SDK ${other})`, ...(await bundle(`now-sdk-${other}`, key, join(ROOT, FUNCTIONS[key].entry), other)) });
  }
  const before = baselineTree();
  if (before) {
    const { lambdaEsbuildOptions: beforeOptions } = (await import(join(before, 'lib/bundling.ts'))) as { lambdaEsbuildOptions: EsbuildOptionsOf };
    const { FUNCTIONS: beforeFunctions } = (await import(join(before, 'lambdas/wiring/routes.ts'))) as { FUNCTIONS: Record<string, { entry: string }> };
    for (const key of PUBLIC) {
      const def = beforeFunctions[key];
      if (def) subjects.push({ key: `${key}:before`, kind: 'before', label: `${key} (${BASELINE_LABEL})`, ...(await bundle('before-17', key, join(before, def.entry), 'external', beforeOptions)) });
    }
  }
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
  const cpuSamples = new Map<string, number[]>(subjects.map((s) => [s.key, []]));
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
      cpuSamples.get(s.key)?.push(p.cpuMs);
    }
    roundMs = performance.now() - r0;
    rounds++;
  }

  const med = (key: string) => median(samples.get(key) ?? []);
  const cpuMed = (key: string) => median(cpuSamples.get(key) ?? []);
  const sdk = med('sdk');
  const sdkCpu = cpuMed('sdk');
  const empty = med('empty');
  const header = ['module', 'kind', 'bundle bytes', 'KiB', 'of it AWS SDK KiB', 'gzip KiB', 'init ms (median)', 'min–max ms', '× DynamoDB client init', 'ms above empty module', 'init CPU ms (median)', '× DynamoDB client init, CPU'];
  const rows = subjects.map((s) => {
    const v = samples.get(s.key) ?? [];
    const m = med(s.key);
    return [
      s.label,
      s.kind,
      s.bytes === undefined ? '–' : int.format(s.bytes),
      kib(s.bytes),
      s.sdkBytes ? kib(s.sdkBytes) : '–',
      kib(s.gzipBytes),
      ms(m),
      `${ms(Math.min(...v))}–${ms(Math.max(...v))}`,
      s.key === 'sdk' ? '1.00 (base)' : ratio(m / sdk),
      s.key === 'empty' ? '0 (base)' : ms(m - empty),
      ms(cpuMed(s.key)),
      s.key === 'sdk' ? '1.00 (base)' : ratio(cpuMed(s.key) / sdkCpu),
    ];
  });

  // Issue 17's figures per public route: before #17 | now (SDK external) | now (SDK bundled). Bundle KiB without
  // the SDK (the goal's measure), in all where the SDK is bundled, and init ÷ the SDK import (everything loaded at
  // init counted: an external SDK's import included).
  const find = (key: string) => subjects.find((s) => s.key === key);
  const nowOf = (key: string, sdkMode: SdkBundling) => (sdkOf(FUNCTIONS[key as (typeof PUBLIC)[number]] as FunctionDef) === sdkMode ? find(key) : find(`${key}:${sdkMode}`));
  const initRatio = (s: Subject | undefined) => (s === undefined ? '–' : `${ratio(med(s.key) / sdk)}×`);
  const cpuRatio = (s: Subject | undefined) => (s === undefined ? '–' : `${ratio(cpuMed(s.key) / sdkCpu)}×`);
  const deployed = (key: string) => sdkOf(FUNCTIONS[key as (typeof PUBLIC)[number]] as FunctionDef);
  const compareHeader = [
    'public route',
    'KiB, SDK not counted: before #17',
    'now',
    'KiB in all, SDK bundled: now',
    'init ÷ SDK import: before #17',
    'now, SDK external',
    'now, SDK bundled',
    'init CPU ÷ SDK import CPU: before #17',
    'now, as deployed',
    'deployed with',
  ];
  const compareRows = PUBLIC.map((key) => {
    const b = find(`${key}:before`);
    const ext = nowOf(key, 'external');
    const bun = nowOf(key, 'bundled');
    return [
      key,
      // What each bundles of the SDK (with it external: the lean client's signer, @smithy/*) is not counted either.
      b ? kib(withoutSdk(b)) : 'missing',
      kib(ext && withoutSdk(ext)),
      bun ? `${kib(bun.bytes)} (SDK ${kib(bun.sdkBytes)})` : '–',
      initRatio(b),
      initRatio(ext),
      initRatio(bun),
      cpuRatio(b),
      cpuRatio(find(key)),
      `SDK ${deployed(key)}`,
    ];
  });
  const compareNote = before
    ? `before #17 = ${BASELINE_LABEL}, bundled from git history with that tree's lib/bundling.ts (SDK external); goals: ≤ 150 KiB without the SDK (≤ 300 KiB in all with it bundled), init ≤ 0.5× the SDK import. ` +
      `The floor of any route that bundles the SDK: its DynamoDB clients alone, bundled, ${initRatio(find('sdk-bundled'))} (${kib(find('sdk-bundled')?.bytes)} KiB)`
    : `before #17: missing (the commit of bench/baseline.ts is not in this clone's history)`;

  const totalS = (performance.now() - started) / 1000;
  const cut = rounds < options.rounds ? ` (${options.rounds} asked; cut to stay within ~${(options.budgetMs ?? 0) / 1000} s)` : '';
  const lines = [
    `bundled ${subjects.length - 1} modules in ${(bundleMs / 1000).toFixed(1)} s with lib/bundling.ts (minified ESM, target node24, source maps without sources, the AWS SDK external or, where a function says so, its clients tree-shaken in)`,
    `init = performance.now() around \`await import(bundle)\` in a fresh \`node\` process (${process.version}, NODE_OPTIONS=${LAMBDA_NODE_OPTIONS}, the handler environment); ` +
      `median of ${rounds} fresh processes per module${cut}, rounds interleaved over all modules`,
    `× DynamoDB client init = the module's median ÷ the median of importing @aws-sdk/client-dynamodb alone (${ms(sdk)} ms), same run · ` +
      `ms above empty module = the median minus an empty module's (${ms(empty)} ms)`,
    `init CPU = process.cpuUsage() (user + system) over the same import, median; its ratio is to the SDK import's CPU (${ms(sdkCpu)} ms): ` +
      'on a loaded machine wall time adds waits for a core, CPU time much less so',
  ];
  console.log('Sendwell cold start: bundle size and module init time per Lambda function');
  console.log(`node ${process.version} · ${os.cpus()[0]?.model ?? 'unknown CPU'} · ${os.availableParallelism()} cores · load average ${os.loadavg()[0]?.toFixed(2)}`);
  console.log('');
  console.log(textTable(header, rows));
  console.log('');
  console.log('Issue 17, public routes: before #17 | now');
  console.log(textTable(compareHeader, compareRows));
  console.log(compareNote);
  console.log('');
  for (const l of lines) console.log(l);
  console.log(`total ${totalS.toFixed(1)} s`);

  const publicRows = subjects.filter((s) => s.kind === 'public');
  const largestPublic = Math.max(...publicRows.map((s) => (s.bytes ?? 0) - (s.sdkBytes ?? 0)));
  const markdown = [
    'Each function bundled exactly as CDK bundles it for Lambda (`lib/bundling.ts`), its size, and its module init time:',
    '`performance.now()` around `await import(bundle)` in a fresh Node process. Public routes (what a mail recipient',
    'waits for) first, then the other HTTP functions, then the event functions. Not included: the Lambda runtime\'s own',
    'start (sandbox, Node boot, about the same for every function) and the first request\'s work (connections, key reads).',
    'A 256 MB Lambda has a fraction of a vCPU, so init on AWS is slower than here; compare the ratios.',
    '',
    markdownTable(header, rows),
    '',
    'Issue 17, public routes: before #17 | now (same run)',
    '',
    markdownTable(compareHeader, compareRows),
    '',
    `- ${compareNote}`,
    ...lines.map((l) => `- ${l}`),
    `- largest public-route bundle, the SDK not counted: ${kib(largestPublic)} KiB, ${ratio(largestPublic / (zod.bytes || 1))} × zod bundled alone (${kib(zod.bytes)} KiB)`,
  ].join('\n');
  return { title: 'Cold start: bundle size and module init time (`npm run bench:cold`)', markdown };
}

const USAGE = `Usage: npm run bench:cold -- [options]

  --rounds R   fresh processes per module; the median is reported (default ${DEFAULT_ROUNDS}; without
               --rounds, no new round starts once the bench would pass ~${BUDGET_MS / 1000} s, at least ${MIN_ROUNDS} run)
  --public     only the baselines and the public routes (now with either SDK mode, and before #17)
  --help       this text`;

export function parseColdStartOptions(args: string[]): ColdStartOptions | undefined {
  const values = parseCli(args, { rounds: { type: 'string' }, public: { type: 'boolean' } });
  if (values === undefined) return undefined;
  const raw = values.rounds as string | undefined;
  return {
    rounds: integerOption('rounds', raw, DEFAULT_ROUNDS, 1, 100),
    ...(raw === undefined && { budgetMs: BUDGET_MS }),
    ...(values.public === true && { publicOnly: true }),
  };
}

if (import.meta.main) await runCli(USAGE, parseColdStartOptions, async (o) => void (await runColdStartBench(o)));
