import { container } from '../../adapters/container.ts';
import { DeliverySettingsInputSchema } from '../../schemas/model.ts';
import { getDeliverySettings, putDeliverySettings } from '../../services/delivery-settings.ts';
import { actorOf } from '../middleware/actor.ts';
import { adminRoute } from '../middleware/admin-route.ts';
import { json } from '../middleware/http.ts';

export const getDeliverySettingsHandler = adminRoute({}, async () => json(200, await getDeliverySettings(container())));

export const putDeliverySettingsHandler = adminRoute({ body: DeliverySettingsInputSchema }, async ({ body, event }) =>
  json(200, await putDeliverySettings(container(), body, actorOf(event))),
);
