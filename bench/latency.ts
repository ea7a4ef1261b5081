/**
 * Latency under concurrent load: a closed loop of `concurrency` workers, each sending its next request as soon as
 * the previous one is answered, until a fixed number of requests has been sent or a deadline has passed (a run is
 * bounded in count and in time). Per-request latency is measured from just before the request is sent to the end
 * of the response body. Nothing here passes or fails on time: it only counts and prints.
 */
import { Agent, request as httpRequest } from 'node:http';
import { performance } from 'node:perf_hooks';

export interface LoadOptions {
  readonly concurrency: number;
  /** Requests to send in all; each worker takes the next index until they are used up. */
  readonly requests: number;
  /** A `performance.now()` after which no new request starts (those in flight finish). */
  readonly deadline: number;
  /** One request; `i` counts from 0. Throws when the answer is not what the scenario expects. */
  readonly send: (i: number) => Promise<void>;
}

export interface LoadResult {
  /** Latency of every answered request that met the scenario's expectation, in ms, in completion order. */
  readonly latencies: readonly number[];
  readonly started: number;
  readonly failed: number;
  readonly firstError?: string;
  /** From the first request sent to the last answer. */
  readonly wallMs: number;
  /** Whether the deadline stopped the run before `requests` were sent. */
  readonly cut: boolean;
}

export async function closedLoop(options: LoadOptions): Promise<LoadResult> {
  const latencies: number[] = [];
  let next = 0;
  let failed = 0;
  let firstError: string | undefined;
  let cut = false;
  const begin = performance.now();
  const worker = async () => {
    for (;;) {
      if (next >= options.requests) return;
      if (performance.now() > options.deadline) {
        cut = true;
        return;
      }
      const i = next++;
      const t = performance.now();
      try {
        await options.send(i);
        latencies.push(performance.now() - t);
      } catch (e) {
        failed++;
        firstError ??= e instanceof Error ? e.message : String(e);
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  return { latencies, started: next, failed, ...(firstError === undefined ? {} : { firstError }), wallMs: performance.now() - begin, cut };
}

/** Nearest-rank percentile (the smallest sample with at least q of all samples at or below it). */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length))) - 1] as number;
}

export interface LatencySummary {
  readonly requests: number;
  readonly failed: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
  readonly perSecond: number;
  readonly cut: boolean;
  readonly firstError?: string;
}

export function summarize(r: LoadResult): LatencySummary {
  const sorted = [...r.latencies].sort((a, b) => a - b);
  return {
    requests: r.latencies.length,
    failed: r.failed,
    p50: percentile(sorted, 0.5),
    p95: percentile(sorted, 0.95),
    p99: percentile(sorted, 0.99),
    max: sorted.at(-1) ?? Number.NaN,
    perSecond: r.wallMs > 0 ? ((r.latencies.length + r.failed) / r.wallMs) * 1000 : Number.NaN,
    cut: r.cut,
    ...(r.firstError === undefined ? {} : { firstError: r.firstError }),
  };
}

export interface HttpAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Buffer;
}

/**
 * A minimal keep-alive HTTP/1.1 client on `node:http`, the same stack and connection reuse the AWS SDK's
 * DynamoDB client uses for the baseline, so neither side of the comparison pays for a different client. One socket
 * per worker at most (the loop never has more requests in flight than workers).
 */
export function httpClient(baseUrl: string, maxSockets: number) {
  const base = new URL(baseUrl);
  if (base.hostname !== '127.0.0.1') throw new Error(`the bench only talks to loopback, not ${base.hostname}`);
  const agent = new Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
  const call = (method: string, path: string, headers: Record<string, string> = {}, body?: string, timeoutMs = 10_000) =>
    new Promise<HttpAnswer>((resolve, reject) => {
      const req = httpRequest(
        {
          agent,
          host: base.hostname,
          port: base.port,
          method,
          path,
          headers: body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) },
          signal: AbortSignal.timeout(timeoutMs),
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  return { call, close: () => agent.destroy() };
}

export type HttpClient = ReturnType<typeof httpClient>;
