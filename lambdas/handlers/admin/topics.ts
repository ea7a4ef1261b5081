import * as z from 'zod';
import { container } from '../../adapters/container.ts';
import { TopicInputSchema, TopicUpdateSchema } from '../../schemas/model.ts';
import { SlugSchema } from '../../schemas/fields.ts';
import { createTopic, getTopic, updateTopic } from '../../services/catalog.ts';
import { adminRoute } from '../middleware/admin-route.ts';
import { json } from '../middleware/http.ts';

export const createTopicHandler = adminRoute({ body: TopicInputSchema }, async ({ body }) => json(201, await createTopic(container(), body)));

export const listTopicsHandler = adminRoute({}, async () => json(200, { topics: await container().catalog.listTopics() }));

export const getTopicHandler = adminRoute({ params: z.object({ id: SlugSchema }) }, async ({ params }) => json(200, await getTopic(container(), params.id)));

export const updateTopicHandler = adminRoute({ params: z.object({ id: SlugSchema }), body: TopicUpdateSchema }, async ({ params, body }) =>
  json(200, await updateTopic(container(), params.id, body)),
);
