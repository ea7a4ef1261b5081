import { adminRoute } from '../middleware/admin-route.ts';
import { callerOf } from '../middleware/actor.ts';
import { json } from '../middleware/http.ts';

/** `GET /v1/me` — who is calling, as the API sees it: what the console shows and hides by. */
export const getMeHandler = adminRoute({}, async ({ event }) => {
  const { id, roles, kind } = callerOf(event);
  return json(200, { id, roles, kind });
});
