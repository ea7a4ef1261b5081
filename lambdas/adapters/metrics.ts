/**
 * CloudWatch metrics through Powertools Metrics (embedded metric format, EMF: one JSON line in the function's log,
 * no API call). Every figure counted into the DynamoDB counters is also added here under the same name
 * (`sent_marketing`, `bounced_hard`, `held_reason_opted_out`…), namespace `Sendwell`, dimension `service`, so the
 * CloudWatch dashboard and alarms (lib/operations-dashboard.ts, lib/alarms.ts) read the figures the API serves.
 *
 * No topic or campaign dimension: each distinct value would be a custom metric of its own (billed, unbounded); those
 * breakdowns are served from the DynamoDB counters by `GET /v1/metrics`.
 *
 * `POWERTOOLS_METRICS_DISABLED=true` (the local stack and the tests) keeps EMF lines off the console.
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { MiddlewareObj } from '@middy/core';
import { METRICS_NAMESPACE, METRICS_SERVICE } from '../domain/metrics.ts';

export const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: METRICS_SERVICE });

/** Adds counted figures (`{ sent_marketing: 1 }`) to the invocation's metrics; flushed by {@link flushMetrics}. */
export function emitCounts(figures: Readonly<Record<string, number>>): void {
  for (const [name, value] of Object.entries(figures)) metrics.addMetric(name, MetricUnit.Count, value);
}

/** Writes what the invocation added, if anything (Powertools' own middleware warns on every invocation that added none). */
export function publishMetrics(): void {
  if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
}

/** Middy middleware: flushes the invocation's metrics after the handler, also when it failed. */
export const flushMetrics = (): MiddlewareObj => ({
  after: publishMetrics,
  onError: publishMetrics,
});
