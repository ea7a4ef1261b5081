/** `POST /v1/messages` — one templated message to one recipient; 202 with `sent` or `held` and the reason. */
import { container } from '../adapters/container.ts';
import { SendMessageSchema } from '../schemas/model.ts';
import { sendMessage } from '../services/send.ts';
import { actorOf } from './middleware/actor.ts';
import { httpRoute, json } from './middleware/http.ts';

export const handler = httpRoute({ body: SendMessageSchema }, async ({ body, event }) =>
  json(202, await sendMessage(container(), body, { actor: actorOf(event) })),
);
