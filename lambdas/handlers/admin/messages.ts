import * as z from 'zod';
import { container } from '../../adapters/container.ts';
import { SendwellError } from '../../domain/errors.ts';
import { MessageIdSchema } from '../../schemas/model.ts';
import { adminRoute } from '../middleware/admin-route.ts';
import { json } from '../middleware/http.ts';

export const getMessageHandler = adminRoute({ params: z.object({ id: MessageIdSchema }) }, async ({ params }) => {
  const record = await container().messages.get(params.id);
  if (!record) throw new SendwellError('not_found', `No message ${params.id}.`);
  return json(200, record);
});
