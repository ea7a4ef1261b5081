import * as z from 'zod';
import { container } from '../../adapters/container.ts';
import { IdSchema, SlugSchema } from '../../schemas/fields.ts';
import { ConsentChangeSchema, LedgerQuerySchema, PreferencesChangeSchema, RecipientInputSchema, RecipientUpdateSchema } from '../../schemas/model.ts';
import { importFormat, importRecipients } from '../../services/import-recipients.ts';
import { eraseRecipient, exportRecipient, proofOfConsent } from '../../services/privacy.ts';
import {
  createRecipient,
  findRecipientByEmail,
  getLedger,
  getRecipient,
  setConsent,
  setPreferences,
  updateRecipient,
} from '../../services/recipients.ts';
import { actorOf } from '../middleware/actor.ts';
import { adminRoute } from '../middleware/admin-route.ts';
import { bodyBytes, json } from '../middleware/http.ts';
import { charsetOf, decodeText } from '../../domain/text-file.ts';

const Id = z.object({ id: IdSchema });

export const createRecipientHandler = adminRoute({ body: RecipientInputSchema }, async ({ body, event }) => {
  const { created, recipient } = await createRecipient(container(), body, { source: 'api', actor: actorOf(event) });
  return json(created ? 201 : 200, recipient);
});

export const findRecipientHandler = adminRoute({ query: z.object({ email: z.string().min(1).max(320) }) }, async ({ query }) =>
  json(200, await findRecipientByEmail(container(), query.email)),
);

export const getRecipientHandler = adminRoute({ params: Id }, async ({ params }) => json(200, await getRecipient(container(), params.id)));

export const updateRecipientHandler = adminRoute({ params: Id, body: RecipientUpdateSchema }, async ({ params, body, event }) =>
  json(200, await updateRecipient(container(), params.id, body, actorOf(event))),
);

export const setConsentHandler = adminRoute(
  { params: z.object({ id: IdSchema, topic: SlugSchema }), body: ConsentChangeSchema },
  async ({ params, body, event }) => json(200, await setConsent(container(), params.id, params.topic, body, actorOf(event))),
);

export const setPreferencesHandler = adminRoute({ params: Id, body: PreferencesChangeSchema }, async ({ params, body, event }) =>
  json(200, await setPreferences(container(), params.id, body, actorOf(event))),
);

export const getLedgerHandler = adminRoute({ params: Id, query: LedgerQuerySchema }, async ({ params, query }) =>
  json(200, await getLedger(container(), params.id, query.cursor)),
);

export const exportRecipientHandler = adminRoute({ params: Id }, async ({ params }) => json(200, await exportRecipient(container(), params.id)));

export const eraseRecipientHandler = adminRoute({ params: Id }, async ({ params, event }) => json(200, await eraseRecipient(container(), params.id, actorOf(event))));

export const proofOfConsentHandler = adminRoute({ params: z.object({ id: IdSchema, topic: SlugSchema }) }, async ({ params }) =>
  json(200, await proofOfConsent(container(), params.id, params.topic)),
);

/**
 * The body is the file itself (JSON lines or CSV), not JSON: its bytes are decoded by the request's charset, else
 * by what they look like (UTF-8 with or without BOM, UTF-16, Windows-1252/Latin-1).
 */
export const importRecipientsHandler = adminRoute({}, async ({ event, headers }) => {
  const format = importFormat(headers['content-type']);
  const { text } = decodeText(bodyBytes(event), charsetOf(headers['content-type']));
  return json(200, await importRecipients(container(), text, format, actorOf(event)));
});
