#!/usr/bin/env node
// The `sendwell` bin. Plain JavaScript on purpose: it must start on any Node. Node 24 loads the TypeScript CLI
// directly; an older Node (a global `npm link`, `npx --prefix` from elsewhere, a system Node first on PATH) hands
// over to the Node 24 the repository pins (`node_modules/node`), or says plainly what to do.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const major = Number(process.versions.node.split('.')[0]);
const main = fileURLToPath(new URL('./main.ts', import.meta.url));

if (major >= 24) {
  const { cli } = await import('./main.ts');
  await cli();
} else {
  const pinned = fileURLToPath(new URL('../node_modules/node/bin/node', import.meta.url));
  if (!existsSync(pinned)) {
    console.error(
      `sendwell: Node ${process.versions.node} is running; the CLI needs Node 24 or newer. ` +
        'Run `npm ci` in the Sendwell repository (it installs the pinned Node 24), then `npx sendwell …` there.',
    );
    process.exit(1);
  }
  const child = spawn(pinned, [main, ...process.argv.slice(2)], { stdio: 'inherit' });
  // Ctrl-C reaches the child too (same process group); `campaigns watch` ends on it by itself, so wait for that.
  process.on('SIGINT', () => {});
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}
