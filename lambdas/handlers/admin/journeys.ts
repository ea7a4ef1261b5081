import { container } from '../../adapters/container.ts';
import { JourneyInputSchema, JourneyUpdateSchema } from '../../schemas/journeys.ts';
import { EventInputSchema, JourneyParamsSchema, ListJourneysQuerySchema } from '../../schemas/journeys.ts';
import { changeJourneyStatus, createJourney, getJourney, listJourneys, postEvent, updateJourney } from '../../services/journeys.ts';
import { actorOf } from '../middleware/actor.ts';
import { adminRoute } from '../middleware/admin-route.ts';
import { json } from '../middleware/http.ts';

const params = JourneyParamsSchema;

export const createJourneyHandler = adminRoute({ body: JourneyInputSchema }, async ({ body, event }) => json(201, await createJourney(container(), body, actorOf(event))));

export const listJourneysHandler = adminRoute({ query: ListJourneysQuerySchema }, async ({ query }) => json(200, await listJourneys(container(), query.limit, query.cursor)));

export const getJourneyHandler = adminRoute({ params }, async ({ params: p }) => json(200, await getJourney(container(), p.id)));

export const updateJourneyHandler = adminRoute({ params, body: JourneyUpdateSchema }, async ({ params: p, body }) => json(200, await updateJourney(container(), p.id, body)));

export const activateJourneyHandler = adminRoute({ params }, async ({ params: p }) => json(200, await changeJourneyStatus(container(), p.id, 'activate')));
export const pauseJourneyHandler = adminRoute({ params }, async ({ params: p }) => json(200, await changeJourneyStatus(container(), p.id, 'pause')));
export const archiveJourneyHandler = adminRoute({ params }, async ({ params: p }) => json(200, await changeJourneyStatus(container(), p.id, 'archive')));

export const postEventHandler = adminRoute({ body: EventInputSchema }, async ({ body }) => json(202, await postEvent(container(), body)));
