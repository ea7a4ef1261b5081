/**
 * `npm test` after the type check: the unit, integration and cdk projects in one vitest run, and the fault suite
 * (docs/faults.md) in a second vitest run at the same time. The fault files spend most of their minutes waiting (Java
 * starting, queue visibility timeouts, retry delays), so beside the other projects they cost little more than their
 * longest wait; one after the other they would double the run. They stay in a process of their own because vitest
 * shares one worker pool across the projects of a run (one worker on a 2-core machine unless SENDWELL_TEST_WORKERS
 * says more), which would queue them behind everything else. The cdk files share one process (vitest.config.ts).
 *
 * The main run writes to the terminal as usual; the fault run's output is kept and printed once the main run ended,
 * so the two never interleave. The exit code is non-zero if either run failed, and the last line counts every test
 * of both (`tests: N passed, N failed`). Arguments (`npm test -- test/unit/domain`) filter the files of both runs.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '../..');
const vitest = join(root, 'node_modules', 'vitest', 'vitest.mjs');
const work = mkdtempSync(join(tmpdir(), 'sendwell-test-'));

interface Counts {
  passed: number;
  failed: number;
  skipped: number;
  report?: Report;
}

/** Runs vitest with the given projects; `log` keeps its output in a file instead of the terminal. */
function run(name: string, args: readonly string[], log?: string): Promise<{ code: number; counts: Counts | undefined }> {
  const report = join(work, `${name}.json`);
  const child = spawn(process.execPath, [vitest, 'run', ...args, '--reporter=default', '--reporter=json', `--outputFile.json=${report}`], {
    cwd: root,
    stdio: log === undefined ? 'inherit' : ['ignore', 'pipe', 'pipe'],
  });
  if (log !== undefined) {
    const chunks: Buffer[] = [];
    child.stdout?.on('data', (c: Buffer) => chunks.push(c));
    child.stderr?.on('data', (c: Buffer) => chunks.push(c));
    child.once('close', () => writeFileSync(log, Buffer.concat(chunks)));
  }
  return new Promise((done) => {
    child.once('close', (code, signal) => done({ code: code ?? (signal ? 1 : 0), counts: readCounts(report) }));
  });
}

interface Report {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
  testResults?: Array<{ name: string; startTime?: number; endTime?: number; assertionResults?: Array<{ fullName: string; status: string; failureMessages?: string[] }> }>;
}

function readCounts(file: string): Counts | undefined {
  const r = readReport(file);
  return r && { passed: r.numPassedTests, failed: r.numFailedTests, skipped: r.numPendingTests + r.numTodoTests, report: r };
}

function readReport(file: string): Report | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Report;
  } catch {
    return undefined;
  }
}

/** The end of a long log is what CI shows: the failed tests by name, and the slowest files of each run. */
function summary(name: string, report: Report | undefined): string[] {
  const files = report?.testResults ?? [];
  const rel = (f: string) => relative(root, f);
  const failed = files.flatMap((f) =>
    (f.assertionResults ?? []).filter((a) => a.status === 'failed').map((a) => `  FAILED ${rel(f.name)} > ${a.fullName}: ${(a.failureMessages?.[0] ?? '').split('\n')[0]?.slice(0, 300)}`),
  );
  const slowest = files
    .filter((f) => f.startTime !== undefined && f.endTime !== undefined)
    .map((f) => ({ file: rel(f.name), s: (f.endTime! - f.startTime!) / 1000 }))
    .sort((a, b) => b.s - a.s)
    .slice(0, 8)
    .map((f) => `${f.file} ${f.s.toFixed(0)} s`);
  return [...failed, ...(slowest.length ? [`  ${name}, slowest files: ${slowest.join(', ')}`] : [])];
}

const filters = process.argv.slice(2);
// With a filter, one of the runs may have no file to run: that is not a failure.
const extra = filters.length > 0 ? ['--passWithNoTests', ...filters] : [];
// Beside the main run, each in a vitest process of its own: the fault suite (mostly waits: Java starting, visibility
// timeouts, retries) and the CDK app's tests (CPU: synthesis and esbuild bundling), which the integration files'
// waits leave room for. In the main run they would queue behind everything on vitest's one worker.
const beside = [
  { name: 'faults', title: 'The fault suite (test/faults, run beside the projects above)' },
  { name: 'cdk', title: 'The CDK app (test/cdk, run beside the projects above)' },
].map((b) => {
  const log = join(work, `${b.name}.log`);
  return { ...b, log, result: run(b.name, ['--project', b.name, ...extra], log) };
});
const main = await run('main', ['--project', 'unit', '--project', 'integration', ...extra]);
const runs = [main];
const lines = summary('unit and integration', main.counts?.report);
for (const b of beside) {
  console.log(`\n${b.title}:\n`);
  const result = await b.result;
  runs.push(result);
  process.stdout.write(readFileSync(b.log));
  lines.push(...summary(b.name, result.counts?.report));
}

const total = { passed: 0, failed: 0, skipped: 0 };
for (const r of runs) {
  total.passed += r.counts?.passed ?? 0;
  total.failed += r.counts?.failed ?? 0;
  total.skipped += r.counts?.skipped ?? 0;
}
rmSync(work, { recursive: true, force: true });
const failedRuns = runs.filter((r) => r.code !== 0).length;
// A run that died before reporting counts as failed even if no test did.
if (failedRuns > 0 && total.failed === 0) total.failed = failedRuns;
if (lines.length) console.log(`\n${lines.join('\n')}`);
console.log(`\ntests: ${total.passed} passed, ${total.failed} failed${total.skipped ? `, ${total.skipped} skipped` : ''}`);
process.exitCode = failedRuns > 0 ? 1 : 0;
