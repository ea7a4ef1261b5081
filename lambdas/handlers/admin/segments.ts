import * as z from 'zod';
import { container } from '../../adapters/container.ts';
import { SegmentInputSchema, SegmentPreviewQuerySchema, SegmentRulesPreviewSchema, SegmentUpdateSchema } from '../../schemas/model.ts';
import { SlugSchema } from '../../schemas/fields.ts';
import { createSegment, deleteSegment, getSegment, previewRules, previewSegment, updateSegment } from '../../services/segments.ts';
import { actorOf } from '../middleware/actor.ts';
import { adminRoute } from '../middleware/admin-route.ts';
import { json } from '../middleware/http.ts';

const params = z.object({ id: SlugSchema });

export const createSegmentHandler = adminRoute({ body: SegmentInputSchema }, async ({ body, event }) => json(201, await createSegment(container(), body, actorOf(event))));

export const listSegmentsHandler = adminRoute({}, async () => json(200, { segments: await container().catalog.listSegments() }));

export const getSegmentHandler = adminRoute({ params }, async ({ params: p }) => json(200, await getSegment(container(), p.id)));

export const updateSegmentHandler = adminRoute({ params, body: SegmentUpdateSchema }, async ({ params: p, body }) => json(200, await updateSegment(container(), p.id, body)));

export const deleteSegmentHandler = adminRoute({ params }, async ({ params: p }) => json(200, await deleteSegment(container(), p.id)));

export const previewSegmentHandler = adminRoute({ params, query: SegmentPreviewQuerySchema }, async ({ params: p, query, context }) =>
  json(
    200,
    await previewSegment(
      container(),
      p.id,
      query.topic,
      typeof context?.getRemainingTimeInMillis === 'function' ? { deadline: Date.now() + context.getRemainingTimeInMillis() - 5_000 } : {},
    ),
  ),
);

export const previewSegmentRulesHandler = adminRoute({ body: SegmentRulesPreviewSchema }, async ({ body, context }) =>
  json(
    200,
    await previewRules(
      container(),
      body.rules,
      body.topic,
      typeof context?.getRemainingTimeInMillis === 'function' ? { deadline: Date.now() + context.getRemainingTimeInMillis() - 5_000 } : {},
    ),
  ),
);
