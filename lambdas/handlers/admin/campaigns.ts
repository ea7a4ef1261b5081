import * as z from 'zod';
import { container } from '../../adapters/container.ts';
import { CampaignIdSchema, CampaignInputSchema, CampaignScheduleSchema, CampaignTestSendSchema, CampaignUpdateSchema, CampaignWinnerSchema, ListCampaignsQuerySchema } from '../../schemas/model.ts';
import { chooseWinner } from '../../services/ab-tests.ts';
import {
  cancelCampaign,
  createCampaign,
  getCampaign,
  launchCampaign,
  listCampaigns,
  pauseCampaign,
  resumeCampaign,
  scheduleCampaign,
  testSendCampaign,
  updateCampaign,
} from '../../services/campaigns.ts';
import { CampaignPreviewInputSchema } from '../../schemas/previews.ts';
import { previewCampaign, previewStoredCampaign, type PreviewOptions } from '../../services/campaign-preview.ts';
import { actorOf } from '../middleware/actor.ts';
import { adminRoute } from '../middleware/admin-route.ts';
import { json, type HttpRequest } from '../middleware/http.ts';

const params = z.object({ id: CampaignIdSchema });

export const createCampaignHandler = adminRoute({ body: CampaignInputSchema }, async ({ body, event }) => json(201, await createCampaign(container(), body, actorOf(event))));

export const listCampaignsHandler = adminRoute({ query: ListCampaignsQuerySchema }, async ({ query }) => json(200, await listCampaigns(container(), query.limit, query.cursor)));

export const getCampaignHandler = adminRoute({ params }, async ({ params: p }) => json(200, await getCampaign(container(), p.id)));

export const updateCampaignHandler = adminRoute({ params, body: CampaignUpdateSchema }, async ({ params: p, body }) => json(200, await updateCampaign(container(), p.id, body)));

export const testSendCampaignHandler = adminRoute({ params, body: CampaignTestSendSchema }, async ({ params: p, body, event }) =>
  json(200, { results: await testSendCampaign(container(), p.id, body.to, actorOf(event)) }),
);

export const scheduleCampaignHandler = adminRoute({ params, body: CampaignScheduleSchema.optional() }, async ({ params: p, body, event }) =>
  json(202, await scheduleCampaign(container(), p.id, body?.sendAt, actorOf(event))),
);

export const launchCampaignHandler = adminRoute({ params }, async ({ params: p, event }) => json(202, await launchCampaign(container(), p.id, actorOf(event))));

export const pauseCampaignHandler = adminRoute({ params }, async ({ params: p, event }) => json(202, await pauseCampaign(container(), p.id, actorOf(event))));

export const resumeCampaignHandler = adminRoute({ params }, async ({ params: p, event }) => json(202, await resumeCampaign(container(), p.id, actorOf(event))));

export const cancelCampaignHandler = adminRoute({ params }, async ({ params: p, event }) => json(202, await cancelCampaign(container(), p.id, actorOf(event))));

export const chooseCampaignWinnerHandler = adminRoute({ params, body: CampaignWinnerSchema }, async ({ params: p, body, event }) => {
  const deps = container();
  await chooseWinner(deps, p.id, body.variant, actorOf(event));
  return json(202, await getCampaign(deps, p.id));
});

/** A preview stops counting a few seconds before the function's time is up, and says it is not complete. */
const previewBudget = ({ context }: Pick<HttpRequest<unknown, unknown, unknown>, 'context'>): PreviewOptions =>
  typeof context?.getRemainingTimeInMillis === 'function' ? { deadline: Date.now() + context.getRemainingTimeInMillis() - 5_000 } : {};

export const previewCampaignHandler = adminRoute({ body: CampaignPreviewInputSchema }, async (req) => json(200, await previewCampaign(container(), req.body, previewBudget(req))));

export const previewStoredCampaignHandler = adminRoute({ params }, async (req) => json(200, await previewStoredCampaign(container(), req.params.id, previewBudget(req))));
