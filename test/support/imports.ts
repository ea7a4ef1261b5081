/** Following an import job through the admin API, as the CLI and the console do. */
import { expect } from 'vitest';
import type { adminClient } from './admin-client.ts';

type Api = ReturnType<typeof adminClient>;

/**
 * Polls the job until it is final (`completed`, or `failed`: a test expecting completion then fails on the status at
 * once, not at its timeout); `seen` is every `rows.done` read on the way.
 */
export async function waitForJob(api: Api, id: string, timeoutMs = 400_000): Promise<any> {
  const until = Date.now() + timeoutMs;
  let last: any;
  const seen: number[] = [];
  while (Date.now() < until) {
    last = (await api.get(`/v1/imports/${id}`)).body;
    seen.push(last.rows.done);
    if (last.status === 'completed' || last.status === 'failed') return { ...last, seen };
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`import ${id} did not end: ${JSON.stringify(last)}`);
}

/** Every entry of the job's report, page after page. */
export async function fullReport(api: Api, id: string): Promise<Array<{ line: number; kind: string; reason: string }>> {
  const entries: Array<{ line: number; kind: string; reason: string }> = [];
  let cursor: string | undefined;
  do {
    const page = await api.get(`/v1/imports/${id}/report${cursor ? `?cursor=${cursor}` : ''}`);
    expect(page.status).toBe(200);
    entries.push(...page.body.entries);
    cursor = page.body.next;
  } while (cursor);
  return entries;
}
