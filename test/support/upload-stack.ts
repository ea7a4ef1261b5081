/**
 * The stack an upload-path import test runs on: a test gateway with the local upload site (a folder standing in for
 * the bucket, its S3 events sent to the import queue) and an import engine of its own, started before the file's
 * tests and stopped after them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, inject } from 'vitest';
import { startImportEngine, type ImportEngine } from '../../local/import-engine.ts';
import { localUploads } from '../../local/uploads.ts';
import { adminClient } from './admin-client.ts';
import { startTestGateway, type TestGateway } from './gateway.ts';

export interface UploadStack {
  readonly gw: TestGateway;
  readonly api: ReturnType<typeof adminClient>;
  readonly engine: ImportEngine;
}

/**
 * Starts the stack in `beforeAll` and hands it to `started` (the file keeps its own names for it); returns the
 * uploads folder. `visibilitySeconds`: how soon a failed queue message comes back.
 */
export function useUploadStack(label: string, visibilitySeconds: number, started: (stack: UploadStack) => void): string {
  const run = Date.now().toString(36);
  const dir = mkdtempSync(join(tmpdir(), `sendwell-${label}-`));
  const stack: { -readonly [K in keyof UploadStack]?: UploadStack[K] } = {};
  beforeAll(async () => {
    const servers = inject('sendwell');
    const uploads = localUploads(dir, async (event) => stack.engine!.queue.send([event]));
    stack.gw = await startTestGateway(0, [uploads.site]);
    stack.api = adminClient(stack.gw);
    stack.engine = await startImportEngine({ dynamodbEndpoint: servers.dynamodbEndpoint, table: `${servers.tablePrefix}-local-queues`, queuePrefix: `${label}-${run}`, visibilitySeconds });
    uploads.activate(stack.gw.url);
    started(stack as UploadStack);
  });
  afterAll(async () => {
    await stack.engine?.stop();
    await stack.gw?.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}
