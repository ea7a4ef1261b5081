/**
 * The HTTP route table, defined once. `lib/http-api.ts` turns it into API Gateway (HTTP API) routes and Lambda
 * functions; `local/gateway.ts` serves the same routes with the same handler modules. A test compares the two.
 */
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** `admin`: IAM (SigV4) on AWS, bearer admin key on the local stack. `public`: no login (health, token pages). */
export type RouteAuth = 'admin' | 'public';

/**
 * What a function may touch; `lib/permissions.ts` turns each into the narrowest grant that serves it.
 * - `tables:describe` DescribeTable on every table (health).
 * - `data:read` / `data:write` item actions on every table, Query on its indexes (write includes read; transactions go through the item actions).
 * - `ses:account` GetAccount; `ses:send` SendEmail through the configuration set.
 * - `keys:read` the token signing keys and the pseudonymization key (Secrets Manager).
 * - `partners:read` the partner webhooks and their signing secrets (Secrets Manager).
 * - `campaigns:enqueue` SendMessage on the campaign queues (launch, send) and the send queue's dead-letter queue.
 */
export type Permission = 'tables:describe' | 'data:read' | 'data:write' | 'ses:account' | 'ses:send' | 'keys:read' | 'partners:read' | 'campaigns:enqueue';

export interface FunctionDef {
  /** Source file, relative to the repository root; it exports `handler`. */
  readonly entry: string;
  readonly description: string;
  /** @default 256 */
  readonly memorySize?: number;
  /** @default 10 */
  readonly timeoutSeconds?: number;
  readonly permissions: readonly Permission[];
  /**
   * Files the handler reads at run time, relative to the repository root (`node_modules/uplot/dist/uPlot.min.css`).
   * The deployed bundle gets a copy of each next to its `index.mjs`; locally the handler reads them where they are.
   *
   * @default - none
   */
  readonly assets?: readonly string[];
}

export interface RouteDef {
  readonly method: HttpMethod;
  /** API Gateway path syntax: `/v1/recipients/{id}`. */
  readonly path: string;
  readonly fn: FunctionKey;
  readonly auth: RouteAuth;
  readonly operationId: string;
  readonly summary: string;
  /**
   * An admin page that holds no data: only its HTML and script, every figure it shows comes from the `/v1` routes it
   * calls. On AWS it is behind IAM like every admin route; the local gateway serves it without the bearer key (a
   * browser cannot send one when it navigates), and the page asks for the key to call the API with.
   *
   * @default false
   */
  readonly shell?: boolean;
}

export const FUNCTIONS = {
  health: {
    entry: 'lambdas/handlers/get-health.ts',
    description: 'Reports whether DynamoDB and SES are reachable.',
    permissions: ['tables:describe', 'ses:account'],
  },
  openapi: {
    entry: 'lambdas/handlers/get-openapi.ts',
    description: 'Serves the admin API OpenAPI document generated from the zod schemas.',
    memorySize: 128,
    permissions: [],
  },
  admin: {
    entry: 'lambdas/handlers/admin.ts',
    description: 'Admin API: topics, templates, recipients, consent, suppressions, message records, campaigns.',
    memorySize: 1024,
    // API Gateway ends an HTTP API integration at 30 s; an import of a few thousand rows fits well within it.
    timeoutSeconds: 29,
    // `campaigns:enqueue`: launching and resuming a campaign hand it to the launcher through its queue.
    permissions: ['data:write', 'ses:send', 'keys:read', 'campaigns:enqueue'],
  },
  sendMessage: {
    entry: 'lambdas/handlers/send-message.ts',
    description: 'Transactional send: decide, claim the message record, compose, send through SES.',
    memorySize: 512,
    timeoutSeconds: 15,
    permissions: ['data:write', 'ses:send', 'keys:read'],
  },
  unsubscribe: {
    entry: 'lambdas/handlers/unsubscribe.ts',
    description: 'Unsubscribe page (GET changes nothing) and RFC 8058 one-click / page POST.',
    memorySize: 256,
    permissions: ['data:write', 'keys:read'],
  },
  preferences: {
    entry: 'lambdas/handlers/preferences.ts',
    description: 'Preference page: topics, all marketing, tracking, do not sell or share, Global Privacy Control.',
    memorySize: 256,
    // Ticking a topic where double opt-in applies sends the confirmation mail.
    permissions: ['data:write', 'ses:send', 'keys:read'],
  },
  openPixel: {
    entry: 'lambdas/handlers/open-pixel.ts',
    description: 'Open pixel: always the 43-byte GIF; records the open where tracking consent allows.',
    memorySize: 256,
    timeoutSeconds: 5,
    permissions: ['data:write', 'keys:read'],
  },
  click: {
    entry: 'lambdas/handlers/click.ts',
    description: 'Click redirect to the link stored with the message; records the click where tracking consent allows.',
    memorySize: 256,
    timeoutSeconds: 5,
    permissions: ['data:write', 'keys:read'],
  },
  confirm: {
    entry: 'lambdas/handlers/confirm-opt-in.ts',
    description: 'Double opt-in confirmation page (GET shows a button, POST confirms).',
    memorySize: 256,
    permissions: ['data:write', 'keys:read'],
  },
  opsPage: {
    entry: 'lambdas/handlers/ops-page.ts',
    description: 'Ops page: charts of the figures, rates against SES thresholds, hold reasons, recent bounces and complaints (data from /v1).',
    memorySize: 128,
    timeoutSeconds: 5,
    // The page holds no data and reads nothing: its script calls the admin API with the caller's credentials.
    permissions: [],
    assets: ['node_modules/uplot/dist/uPlot.iife.min.js', 'node_modules/uplot/dist/uPlot.min.css'],
  },
} as const satisfies Record<string, FunctionDef>;

export type FunctionKey = keyof typeof FUNCTIONS;

function admin(list: ReadonlyArray<readonly [HttpMethod, string, string, string]>): RouteDef[] {
  return list.map(([method, path, operationId, summary]) => ({ method, path, fn: 'admin', auth: 'admin', operationId, summary }));
}

function publicRoutes(list: ReadonlyArray<readonly [HttpMethod, string, FunctionKey, string, string]>): RouteDef[] {
  return list.map(([method, path, fn, operationId, summary]) => ({ method, path, fn, auth: 'public', operationId, summary }));
}

export const ROUTES: readonly RouteDef[] = [
  {
    method: 'GET',
    path: '/health',
    fn: 'health',
    auth: 'public',
    operationId: 'getHealth',
    summary: 'Whether DynamoDB and SES are reachable',
  },
  {
    method: 'GET',
    path: '/v1/openapi.json',
    fn: 'openapi',
    auth: 'admin',
    operationId: 'getOpenApi',
    summary: 'This API as an OpenAPI 3.1 document',
  },
  ...admin([
    ['POST', '/v1/topics', 'createTopic', 'Create a marketing topic'],
    ['GET', '/v1/topics', 'listTopics', 'List topics'],
    ['GET', '/v1/topics/{id}', 'getTopic', 'One topic'],
    ['POST', '/v1/templates', 'createTemplate', 'Create a template (marketing templates are checked for the unsubscribe link and postal address)'],
    ['GET', '/v1/templates', 'listTemplates', 'List templates'],
    ['GET', '/v1/templates/{id}', 'getTemplate', 'One template'],
    ['PUT', '/v1/templates/{id}', 'updateTemplate', 'Replace a template'],
    ['POST', '/v1/recipients', 'createRecipient', 'Create a recipient (same normalized address again returns the existing one)'],
    ['GET', '/v1/recipients', 'findRecipient', 'Find a recipient by address (?email=)'],
    ['POST', '/v1/recipients/import', 'importRecipients', 'Bulk import from JSON lines or CSV, with a result per row'],
    ['GET', '/v1/recipients/{id}', 'getRecipient', 'One recipient with consents, suppressions, tracking and do-not-sell'],
    ['PATCH', '/v1/recipients/{id}', 'updateRecipient', 'Update a recipient'],
    ['PUT', '/v1/recipients/{id}/consents/{topic}', 'setConsent', 'Opt a recipient in to or out of a topic'],
    ['PUT', '/v1/recipients/{id}/preferences', 'setPreferences', 'Unsubscribe from all marketing, tracking consent, do not sell or share'],
    ['GET', '/v1/recipients/{id}/ledger', 'getLedger', 'The consent ledger of a recipient: proof of when and how consent was given'],
    ['GET', '/v1/recipients/{id}/consents/{topic}/proof', 'proofOfConsent', 'The ledger entries that establish the current consent to a topic'],
    ['GET', '/v1/recipients/{id}/export', 'exportRecipient', 'Everything held about the person, as one JSON document'],
    ['DELETE', '/v1/recipients/{id}', 'eraseRecipient', 'Erase the person everywhere; keep only a hashed tombstone of the address'],
    ['GET', '/v1/suppressions', 'listSuppressions', 'Suppressions of an address (?email=)'],
    ['POST', '/v1/suppressions', 'addSuppression', 'Suppress an address'],
    ['DELETE', '/v1/suppressions', 'liftSuppression', 'Lift a suppression (a complaint needs a reason, and is ledgered)'],
    ['GET', '/v1/messages/{id}', 'getMessage', 'A message record with its events'],
    ['POST', '/v1/campaigns', 'createCampaign', 'Create a campaign (draft)'],
    ['GET', '/v1/campaigns', 'listCampaigns', 'List campaigns, newest first'],
    ['GET', '/v1/campaigns/{id}', 'getCampaign', 'A campaign with its progress, rate and ETA'],
    ['PATCH', '/v1/campaigns/{id}', 'updateCampaign', 'Change a draft campaign'],
    ['POST', '/v1/campaigns/{id}/test', 'testSendCampaign', 'Send the campaign to a few addresses as a test'],
    ['POST', '/v1/campaigns/{id}/schedule', 'scheduleCampaign', 'Schedule a draft campaign to launch at `sendAt`'],
    ['POST', '/v1/campaigns/{id}/launch', 'launchCampaign', 'Launch now (a draft or a scheduled campaign)'],
    ['POST', '/v1/campaigns/{id}/pause', 'pauseCampaign', 'Pause a sending campaign; nothing more is sent until it is resumed'],
    ['POST', '/v1/campaigns/{id}/resume', 'resumeCampaign', 'Resume a paused campaign where it stopped'],
    ['POST', '/v1/campaigns/{id}/cancel', 'cancelCampaign', 'Cancel a campaign for good; what was sent stays sent'],
  ]),
  {
    method: 'POST',
    path: '/v1/messages',
    fn: 'sendMessage',
    auth: 'admin',
    operationId: 'sendMessage',
    summary: 'Send one templated message to one recipient (held when the rule says so)',
  },
  ...publicRoutes([
    ['GET', '/u/{token}', 'unsubscribe', 'showUnsubscribe', 'Unsubscribe page: names the topic, offers topic or all marketing; changes nothing'],
    ['POST', '/u/{token}', 'unsubscribe', 'unsubscribe', 'Unsubscribe now: RFC 8058 one-click body or the page form; idempotent, 200, no redirect'],
    ['GET', '/p/{token}', 'preferences', 'showPreferences', 'Preference page (Sec-GPC: 1 records do not sell or share)'],
    ['POST', '/p/{token}', 'preferences', 'savePreferences', 'Save the preference page'],
    ['GET', '/o/{token}', 'openPixel', 'openPixel', 'Open pixel (`/o/TOKEN.gif`): always 200 with the 43-byte GIF'],
    ['GET', '/c/{token}', 'click', 'click', 'Tracked link: 302 to the URL stored with the message, else 404'],
  ]),
  {
    method: 'GET',
    path: '/confirm/{token}',
    fn: 'confirm',
    auth: 'public',
    operationId: 'showConfirmOptIn',
    summary: 'Double opt-in: a page with a confirm button (changes nothing)',
  },
  {
    method: 'POST',
    path: '/confirm/{token}',
    fn: 'confirm',
    auth: 'public',
    operationId: 'confirmOptIn',
    summary: 'Double opt-in: confirm',
  },
  // ---- ops: figures, feedback, the marketing switch, the ops page (issue 6) ----
  ...admin([
    ['GET', '/v1/metrics', 'getMetrics', 'Figures and rates per day over a range (?from, to, campaign or topic), top hold reasons, marketing pause'],
    ['GET', '/v1/feedback/recent', 'listRecentFeedback', 'Recent bounces and complaints, addresses masked'],
    ['GET', '/v1/marketing', 'getMarketing', 'Whether marketing is paused, and the pauses and resumes so far'],
    ['POST', '/v1/marketing/pause', 'pauseMarketing', 'Pause all marketing now (service mail continues)'],
    ['POST', '/v1/marketing/resume', 'resumeMarketing', 'Resume marketing after a pause; the only way it resumes'],
  ]),
  {
    method: 'GET',
    path: '/ops',
    fn: 'opsPage',
    auth: 'admin',
    operationId: 'showOpsPage',
    summary: 'The ops page: figures over time, rates against SES thresholds, hold reasons, recent feedback',
    shell: true,
  },
];

/** `GET /v1/recipients/{id}`: the route key API Gateway uses, and the one the local gateway reports. */
export const routeKey = (r: Pick<RouteDef, 'method' | 'path'>): string => `${r.method} ${r.path}`;
