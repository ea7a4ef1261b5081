import { z } from 'zod';
import { container } from '../../adapters/container.ts';
import { TopicInputSchema } from '../../schemas/model.ts';
import { SlugSchema } from '../../schemas/fields.ts';
import { createTopic, getTopic } from '../../services/catalog.ts';
import { httpRoute, json } from '../middleware/http.ts';

export const createTopicHandler = httpRoute({ body: TopicInputSchema }, async ({ body }) => json(201, await createTopic(container(), body)));

export const listTopicsHandler = httpRoute({}, async () => json(200, { topics: await container().catalog.listTopics() }));

export const getTopicHandler = httpRoute({ params: z.object({ id: SlugSchema }) }, async ({ params }) => json(200, await getTopic(container(), params.id)));
