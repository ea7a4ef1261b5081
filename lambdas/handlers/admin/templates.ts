import * as z from 'zod';
import { container } from '../../adapters/container.ts';
import { SendwellError } from '../../domain/errors.ts';
import { TemplateInputSchema } from '../../schemas/model.ts';
import { SlugSchema } from '../../schemas/fields.ts';
import { getTemplate, previewTemplate, saveTemplate } from '../../services/catalog.ts';
import { TemplatePreviewInputSchema } from '../../schemas/previews.ts';
import { adminRoute } from '../middleware/admin-route.ts';
import { json } from '../middleware/http.ts';

const Id = z.object({ id: SlugSchema });

export const createTemplateHandler = adminRoute({ body: TemplateInputSchema }, async ({ body }) =>
  json(201, await saveTemplate(container(), body, 'create')),
);

export const updateTemplateHandler = adminRoute({ params: Id, body: TemplateInputSchema }, async ({ params, body }) => {
  if (body.id !== params.id) {
    throw new SendwellError('validation_failed', 'The id in the body must match the path.', [{ path: 'id', message: `expected ${params.id}` }]);
  }
  return json(200, await saveTemplate(container(), body, 'replace'));
});

export const listTemplatesHandler = adminRoute({}, async () => json(200, { templates: await container().catalog.listTemplates() }));

export const getTemplateHandler = adminRoute({ params: Id }, async ({ params }) => json(200, await getTemplate(container(), params.id)));

export const previewTemplateHandler = adminRoute({ body: TemplatePreviewInputSchema }, async ({ body }) => json(200, await previewTemplate(container(), body)));
