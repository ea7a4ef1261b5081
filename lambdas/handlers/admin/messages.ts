import { z } from 'zod';
import { container } from '../../adapters/container.ts';
import { SendwellError } from '../../domain/errors.ts';
import { adminRoute } from '../middleware/admin-route.ts';
import { json } from '../middleware/http.ts';

export const getMessageHandler = adminRoute({ params: z.object({ id: z.string().regex(/^(?:msg_[A-Za-z0-9_-]{1,64}|cmp_[A-Za-z0-9]{1,40}-rcp_[A-Za-z0-9]{1,40})$/, 'not a message id') }) }, async ({ params }) => {
  const record = await container().messages.get(params.id);
  if (!record) throw new SendwellError('not_found', `No message ${params.id}.`);
  return json(200, record);
});
