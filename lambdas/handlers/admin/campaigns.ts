import { z } from 'zod';
import { container } from '../../adapters/container.ts';
import { CampaignIdSchema, CampaignInputSchema, CampaignScheduleSchema, CampaignTestSendSchema, CampaignUpdateSchema, ListCampaignsQuerySchema } from '../../schemas/model.ts';
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
import { actorOf } from '../middleware/actor.ts';
import { httpRoute, json } from '../middleware/http.ts';

const params = z.object({ id: CampaignIdSchema });

export const createCampaignHandler = httpRoute({ body: CampaignInputSchema }, async ({ body, event }) => json(201, await createCampaign(container(), body, actorOf(event))));

export const listCampaignsHandler = httpRoute({ query: ListCampaignsQuerySchema }, async ({ query }) => json(200, await listCampaigns(container(), query.limit, query.cursor)));

export const getCampaignHandler = httpRoute({ params }, async ({ params: p }) => json(200, await getCampaign(container(), p.id)));

export const updateCampaignHandler = httpRoute({ params, body: CampaignUpdateSchema }, async ({ params: p, body }) => json(200, await updateCampaign(container(), p.id, body)));

export const testSendCampaignHandler = httpRoute({ params, body: CampaignTestSendSchema }, async ({ params: p, body, event }) =>
  json(200, { results: await testSendCampaign(container(), p.id, body.to, actorOf(event)) }),
);

export const scheduleCampaignHandler = httpRoute({ params, body: CampaignScheduleSchema.optional() }, async ({ params: p, body, event }) =>
  json(202, await scheduleCampaign(container(), p.id, body?.sendAt, actorOf(event))),
);

export const launchCampaignHandler = httpRoute({ params }, async ({ params: p, event }) => json(202, await launchCampaign(container(), p.id, actorOf(event))));

export const pauseCampaignHandler = httpRoute({ params }, async ({ params: p, event }) => json(202, await pauseCampaign(container(), p.id, actorOf(event))));

export const resumeCampaignHandler = httpRoute({ params }, async ({ params: p, event }) => json(202, await resumeCampaign(container(), p.id, actorOf(event))));

export const cancelCampaignHandler = httpRoute({ params }, async ({ params: p, event }) => json(202, await cancelCampaign(container(), p.id, actorOf(event))));
