/**
 * `campaigns watch`: polls `GET /v1/campaigns/{id}` and draws its progress until the campaign stops moving by
 * itself (completed, cancelled, paused). Ctrl-C ends the watching only; the campaign goes on.
 */
import type { Campaign, CampaignStatus } from '../lambdas/schemas/model.ts';
import { ApiError } from './errors.ts';
import type { ApiClient } from './http.ts';
import type { Io } from './io.ts';
import { progressWriter } from './progress.ts';
import { campaignProgressLine } from './render.ts';

/** Where a watch ends: nothing changes any more unless someone acts. */
const AT_REST: ReadonlySet<CampaignStatus> = new Set(['completed', 'cancelled', 'paused']);

/** Polls that may fail in a row (a network blip, a 5xx) before the watch gives up. */
const MAX_FAILURES = 3;

export interface WatchOptions {
  readonly client: ApiClient;
  readonly id: string;
  readonly io: Io;
  readonly intervalMs: number;
  /** One JSON document per poll on stdout instead of the progress line. */
  readonly json: boolean;
}

/** The line printed when the watch ends because the campaign came to rest. */
export function restingText(c: Campaign): string {
  const summary = campaignProgressLine(c, { bar: false });
  if (c.status === 'paused') return `Campaign ${c.id} is paused: ${summary}\nResume it with \`sendwell campaigns resume ${c.id}\`.\n`;
  return `Campaign ${c.id} ${c.status}: ${summary}\n`;
}

export async function watchCampaign({ client, id, io, intervalMs, json }: WatchOptions): Promise<number> {
  const path = `/v1/campaigns/${encodeURIComponent(id)}`;
  const progress = progressWriter(io);
  let interrupted = false;
  let wake = () => {};
  const off = io.onInterrupt(() => {
    interrupted = true;
    wake();
  });
  const pause = () =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, intervalMs);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  let last: Campaign | undefined;
  let failures = 0;
  try {
    while (!interrupted) {
      try {
        last = await client.request<Campaign>('GET', path);
        failures = 0;
      } catch (e) {
        // A 4xx (unknown id, bad key) will not get better by asking again.
        if ((e instanceof ApiError && e.status < 500) || ++failures >= MAX_FAILURES) {
          progress.done();
          throw e;
        }
        await pause();
        continue;
      }
      const campaign = last;
      if (json) io.out(`${JSON.stringify(campaign)}\n`);
      else progress.update((options) => campaignProgressLine(campaign, options));
      if (AT_REST.has(campaign.status)) {
        progress.done();
        if (!json) io.out(restingText(campaign));
        return 0;
      }
      await pause();
    }
    progress.done();
    io.err(`Stopped watching; campaign ${id} goes on${last ? ` (${last.status})` : ''}.\n`);
    return 0;
  } finally {
    off();
  }
}
