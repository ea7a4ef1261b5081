/** `POST /v1/messages` — one templated message to one recipient; 202 with `sent` or `held` and the reason. */
import { container } from '../adapters/container.ts';
import { logger } from '../adapters/logger.ts';
import { SendMessageSchema } from '../schemas/model.ts';
import { sendMessage } from '../services/send.ts';
import { actorOf } from './middleware/actor.ts';
import { adminRoute } from './middleware/admin-route.ts';
import { json } from './middleware/http.ts';

export const handler = adminRoute({ body: SendMessageSchema }, async ({ body, event }) => {
  const result = await sendMessage(container(), body, { actor: actorOf(event) });
  // The logger masks addresses (`***@domain`): ops see where mail went by domain, never to whom.
  logger.info('message outcome', { ...result, template: body.template, to: 'email' in body.to ? body.to.email : body.to.recipientId });
  return json(202, result);
});
