import * as z from 'zod';
import { container } from '../../adapters/container.ts';
import { SuppressionInputSchema, SuppressionLiftSchema } from '../../schemas/model.ts';
import { addSuppression, liftSuppression, listSuppressions } from '../../services/suppressions.ts';
import { actorOf } from '../middleware/actor.ts';
import { adminRoute } from '../middleware/admin-route.ts';
import { json } from '../middleware/http.ts';

export const listSuppressionsHandler = adminRoute({ query: z.object({ email: z.string().min(1).max(320) }) }, async ({ query }) =>
  json(200, { suppressions: await listSuppressions(container(), query.email) }),
);

export const addSuppressionHandler = adminRoute({ body: SuppressionInputSchema }, async ({ body, event }) =>
  json(201, await addSuppression(container(), body, actorOf(event))),
);

export const liftSuppressionHandler = adminRoute({ body: SuppressionLiftSchema }, async ({ body, event }) =>
  json(200, { lifted: await liftSuppression(container(), body, actorOf(event)) }),
);
