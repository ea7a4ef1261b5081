/**
 * The tree issue 17 ("the per-mail path made lean") started from, for benches that print today's figures and the
 * path's earlier ones side by side in one run. The earlier code is read from this repository's own git history (the
 * commit below), extracted into a temporary folder that shares the project's node_modules, so both are measured on
 * the same machine, in the same run, with the same dependencies. A clone without that history (a shallow one) gets
 * `undefined`, and the benches say the earlier figures are missing rather than invent them.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The last commit before the lean path (end of the session that landed issues 14-18). */
export const BASELINE_COMMIT = '74cde7e97d7f8b04510130e8da389222b57bb210';
export const BASELINE_LABEL = `before #17 (${BASELINE_COMMIT.slice(0, 7)})`;

const ROOT = resolve(fileURLToPath(import.meta.url), '../..');
let extracted: string | undefined;

/**
 * The baseline tree's root folder (extracted once per process, removed at exit), or `undefined` when the commit is
 * not in this clone's history.
 */
export function baselineTree(): string | undefined {
  if (extracted !== undefined) return extracted;
  try {
    execFileSync('git', ['cat-file', '-e', `${BASELINE_COMMIT}^{commit}`], { cwd: ROOT, stdio: 'ignore' });
  } catch {
    return undefined;
  }
  const dir = mkdtempSync(join(os.tmpdir(), 'sendwell-baseline-'));
  const archive = execFileSync('git', ['archive', '--format=tar', BASELINE_COMMIT], {
    cwd: ROOT,
    maxBuffer: 512 * 1024 * 1024,
  });
  execFileSync('tar', ['-x', '-C', dir], { input: archive });
  // Same dependencies as today's tree: the comparison is of our code, not of package versions.
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  extracted = dir;
  return dir;
}
