/** Seeding an audience into a stack whose DynamoDB Local keeps its data on disk (the fault suite). */
import type { adminClient } from './admin-client.ts';
import { cohortLines, type Cohort } from './campaigns.ts';

/**
 * Like `seedCohorts` (test/support/campaigns.ts), in imports of 100 rows, each tried again on a 5xx: DynamoDB Local
 * with its data on disk is several times slower than in memory, and on a busy machine a 500-row import can outlast
 * the admin function's timeout. A row imported twice is merged, not duplicated.
 */
export async function seedOnDisk(api: ReturnType<typeof adminClient>, cohorts: readonly Cohort[]): Promise<Record<string, string[]>> {
  const { byLabel, lines } = cohortLines(cohorts);
  for (let i = 0; i < lines.length; i += 100) {
    for (let attempt = 1; ; attempt++) {
      const r = await api.post('/v1/recipients/import', lines.slice(i, i + 100).join('\n'), { 'content-type': 'application/x-ndjson' });
      if (r.status === 200 && (r.body as { rejected: unknown[] }).rejected.length === 0) break;
      if (r.status < 500 || attempt >= 3) throw new Error(`import answered ${r.status}: ${JSON.stringify(r.body).slice(0, 500)}`);
    }
  }
  return byLabel;
}
