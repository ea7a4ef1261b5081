/**
 * bench:lean's load driver: runs the `bench/load.ts` of the tree it sits in (this one, or the tree before issue 17,
 * where bench:lean copies it) with `npm run bench`'s load options, and prints the latencies of its table on one line
 * (`LOAD_MARKER` + JSON), so both trees' pixel and one-click latencies are measured in one run. Both trees' load
 * benches have the same table (route, requests, errors, req/s, p50 ms, p99 ms, …).
 */
export const LOAD_MARKER = 'BENCH_LOAD_JSON ';

/** One row of the load table, by the start of its route's name. */
export interface LoadRow {
  readonly p50: number;
  readonly p99: number;
  readonly errors: number;
}

export const LOAD_ROWS = {
  baseline: 'baseline: DynamoDB Local PutItem',
  pixel: 'GET /o/{token}.gif',
  oneClick: 'POST /u/{token} one-click',
} as const;

/** The rows of {@link LOAD_ROWS} from a load section's markdown table (`| route | requests | errors | req/s | p50 | p99 | …`). */
export function loadRows(markdown: string): Partial<Record<keyof typeof LOAD_ROWS, LoadRow>> {
  const out: Partial<Record<keyof typeof LOAD_ROWS, LoadRow>> = {};
  for (const line of markdown.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    for (const [key, prefix] of Object.entries(LOAD_ROWS) as Array<[keyof typeof LOAD_ROWS, string]>) {
      if (!cells[1]?.startsWith(prefix)) continue;
      // The table writes thousands with a comma (`1,234`).
      const [errors, p50, p99] = [cells[3], cells[5], cells[6]].map((c) => Number((c ?? '').replaceAll(',', ''))) as [number, number, number];
      if ([errors, p50, p99].every(Number.isFinite)) out[key] = { p50, p99, errors };
    }
  }
  return out;
}

if (import.meta.main) {
  const { runLoadBench } = await import('./load.ts');
  const section = await runLoadBench({ connections: 8, requests: 300, maxSeconds: 10 });
  console.log(LOAD_MARKER + JSON.stringify(loadRows(section.markdown)));
}
