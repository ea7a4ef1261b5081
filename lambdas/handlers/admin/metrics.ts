import { container } from '../../adapters/container.ts';
import { MarketingActionSchema, MetricsQuerySchema, RecentFeedbackQuerySchema } from '../../schemas/metrics.ts';
import { marketingState, pauseMarketing, resumeMarketing } from '../../services/marketing-control.ts';
import { getMetrics } from '../../services/metrics.ts';
import { actorOf } from '../middleware/actor.ts';
import { adminRoute } from '../middleware/admin-route.ts';
import { json } from '../middleware/http.ts';

export const getMetricsHandler = adminRoute({ query: MetricsQuerySchema }, async ({ query }) => json(200, await getMetrics(container(), query)));

export const listRecentFeedbackHandler = adminRoute({ query: RecentFeedbackQuerySchema }, async ({ query }) =>
  json(200, { entries: await container().feedback.recent(query.limit) }),
);

export const getMarketingHandler = adminRoute({}, async () => {
  const { pause, lastResume, history } = await marketingState(container());
  return json(200, {
    paused: pause !== undefined,
    ...(pause ? { pause } : {}),
    ...(lastResume ? { lastResume: { at: lastResume.at, actor: lastResume.actor, reason: lastResume.reason } } : {}),
    history,
  });
});

export const pauseMarketingHandler = adminRoute({ body: MarketingActionSchema }, async ({ body, event }) =>
  json(200, { paused: true, pause: await pauseMarketing(container(), body.reason, actorOf(event)) }),
);

export const resumeMarketingHandler = adminRoute({ body: MarketingActionSchema }, async ({ body, event }) =>
  json(200, { paused: false, ...(await resumeMarketing(container(), body.reason, actorOf(event))) }),
);
