/**
 * The HTTP route table, defined once. `lib/http-api.ts` turns it into API Gateway (HTTP API) routes and Lambda
 * functions; `local/gateway.ts` serves the same routes with the same handler modules. A test compares the two.
 */
import { ALL_VERBS, RECIPIENT_PAGE, TRACKING, type TableGrants } from './table-access.ts';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** `admin`: IAM (SigV4) on AWS, bearer admin key on the local stack. `public`: no login (health, token pages). */
export type RouteAuth = 'admin' | 'public';

/**
 * Who may call an admin route. `admin` is every SigV4 (IAM) caller — services, the CLI with AWS credentials, the
 * local admin key — and may call every route; console users get the roles of their Cognito groups.
 */
export type Role = 'admin' | 'marketing' | 'ops' | 'privacy';
export const ROLES: readonly Role[] = ['admin', 'marketing', 'ops', 'privacy'];

/**
 * What a function may touch; `lib/permissions.ts` turns each into the narrowest grant that serves it.
 * - `tables:describe` DescribeTable on every table (health).
 * (Item access to the tables is not a permission: each function declares it per table in `tables`.)
 * - `ses:account` GetAccount; `ses:send` SendEmail through the configuration set.
 * - `keys:read` the token signing keys and the pseudonymization key (Secrets Manager).
 * - `partners:read` the partner webhooks and their signing secrets (Secrets Manager).
 * - `campaigns:enqueue` SendMessage on the campaign queues (launch, send) and the send queue's dead-letter queue.
 * - `imports:enqueue` SendMessage on the import jobs' queue.
 * - `imports:upload` PutObject under `imports/` of the upload bucket (to sign upload URLs); `imports:read-uploads`
 *   GetObject and DeleteObject there (a file is deleted once read).
 */
export type Permission = 'tables:describe' | 'ses:account' | 'ses:send' | 'keys:read' | 'partners:read' | 'campaigns:enqueue' | 'imports:enqueue' | 'imports:upload' | 'imports:read-uploads';

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
   * The tables whose items it touches, and how (`lambdas/wiring/table-access.ts`): the one declaration its IAM policy
   * is generated from and the local stack checks every call against. A table it does not name it cannot touch.
   *
   * @default - none
   */
  readonly tables?: TableGrants;
  /**
   * Files the handler reads at run time, relative to the repository root (`node_modules/uplot/dist/uPlot.min.css`).
   * The deployed bundle gets a copy of each next to its `index.mjs`; locally the handler reads them where they are.
   *
   * @default - none
   */
  readonly assets?: readonly string[];
  /**
   * Where its AWS SDK comes from (lib/bundling.ts `lambdaBundling`): the Lambda runtime's copy, or the clients and
   * commands it uses tree-shaken into its bundle, which `npm run bench:cold` measured to start faster.
   *
   * @default 'external'
   */
  readonly sdk?: 'external' | 'bundled';
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
  /**
   * Admin routes: who besides `admin` may call it (admin may call everything; `[]` is admin only). Every handler of
   * an admin route checks it (`lambdas/handlers/middleware/authorize.ts`), whoever calls: a SigV4 service or a
   * console user. Public routes have none.
   */
  readonly roles?: readonly Role[];
  /**
   * Answers about the caller itself (`GET /v1/me`): any authenticated caller, even one in no group, may call it.
   *
   * @default false
   */
  readonly self?: boolean;
}

/**
 * The SDK of the functions a mail recipient waits for (pixel, click, unsubscribe, preferences, confirm): the DynamoDB
 * client tree-shaken into the bundle, which `npm run bench:cold` measured to start sooner than the runtime's SDK.
 */
const RECIPIENT_SDK = 'bundled' as const;

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
    permissions: ['ses:send', 'keys:read', 'campaigns:enqueue', 'imports:enqueue', 'imports:upload'],
    tables: { recipients: ALL_VERBS, ledger: ['read', 'put', 'delete'], suppressions: ['read', 'update', 'delete'], campaigns: ALL_VERBS, messages: ALL_VERBS, counters: ['read', 'put', 'update'] },
  },
  sendMessage: {
    entry: 'lambdas/handlers/send-message.ts',
    description: 'Transactional send: decide, claim the message record, compose, send through SES.',
    memorySize: 512,
    timeoutSeconds: 15,
    permissions: ['ses:send', 'keys:read'],
    // suppressions: read only (the send rule's check); nothing on the send path writes one.
    tables: { recipients: ['read', 'put', 'update'], ledger: ['put'], suppressions: ['read'], campaigns: ['read'], messages: ['read', 'put', 'update'], counters: ['read', 'update'] },
  },
  unsubscribe: {
    entry: 'lambdas/handlers/unsubscribe.ts',
    description: 'Unsubscribe page (GET changes nothing) and RFC 8058 one-click / page POST.',
    memorySize: 256,
    permissions: ['keys:read'],
    tables: RECIPIENT_PAGE,
    sdk: RECIPIENT_SDK,
  },
  preferences: {
    entry: 'lambdas/handlers/preferences.ts',
    description: 'Preference page: topics, all marketing, tracking, do not sell or share, Global Privacy Control.',
    memorySize: 256,
    // Ticking a topic where double opt-in applies sends the confirmation mail.
    permissions: ['ses:send', 'keys:read'],
    tables: { ...RECIPIENT_PAGE, messages: ['read', 'put', 'update'], counters: ['read', 'update'] },
    sdk: RECIPIENT_SDK,
  },
  openPixel: {
    entry: 'lambdas/handlers/open-pixel.ts',
    description: 'Open pixel: always the 43-byte GIF; records the open where tracking consent allows.',
    memorySize: 256,
    timeoutSeconds: 5,
    permissions: ['keys:read'],
    tables: TRACKING,
    sdk: RECIPIENT_SDK,
  },
  click: {
    entry: 'lambdas/handlers/click.ts',
    description: 'Click redirect to the link stored with the message (or the template\'s link set after erasure); records the click, human or machine, where tracking consent allows.',
    memorySize: 256,
    timeoutSeconds: 5,
    permissions: ['keys:read'],
    tables: TRACKING,
    sdk: RECIPIENT_SDK,
  },
  confirm: {
    entry: 'lambdas/handlers/confirm-opt-in.ts',
    description: 'Double opt-in confirmation page (GET shows a button, POST confirms).',
    memorySize: 256,
    permissions: ['keys:read'],
    // suppressions: read only, whether a confirmed opt-in ledgers an erasure tombstone's lift (the ledger's reader lifts it).
    tables: { recipients: ['read', 'put', 'update'], ledger: ['put'], suppressions: ['read'], campaigns: ['read'] },
    sdk: RECIPIENT_SDK,
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
  noRoute: {
    entry: 'lambdas/handlers/no-route.ts',
    description: 'The $default route: 404, or 405 with Allow, in the API error shape for any request no route takes.',
    memorySize: 128,
    timeoutSeconds: 3,
    permissions: [],
  },
} as const satisfies Record<string, FunctionDef>;

export type FunctionKey = keyof typeof FUNCTIONS;

function admin(list: ReadonlyArray<readonly [HttpMethod, string, string, readonly Role[], string]>): RouteDef[] {
  return list.map(([method, path, operationId, roles, summary]) => ({ method, path, fn: 'admin', auth: 'admin', operationId, roles, summary }));
}

// Who may do what (issue 9): marketing builds and runs campaigns but cannot erase or export people; privacy can;
// ops watch delivery and may pause (a campaign, all marketing) but not create campaigns.
const M = 'marketing';
const O = 'ops';
const P = 'privacy';

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
    roles: [M, O, P],
    summary: 'This API as an OpenAPI 3.1 document',
  },
  {
    method: 'GET',
    path: '/v1/me',
    fn: 'admin',
    auth: 'admin',
    operationId: 'getMe',
    roles: [M, O, P],
    self: true,
    summary: 'Who is calling: id, roles and kind (service or user); any signed-in caller, even one in no group',
  },
  ...admin([
    ['POST', '/v1/topics', 'createTopic', [M], 'Create a marketing topic'],
    ['GET', '/v1/topics', 'listTopics', [M, O, P], 'List topics'],
    ['GET', '/v1/topics/{id}', 'getTopic', [M, O, P], 'One topic'],
    ['PUT', '/v1/topics/{id}', 'updateTopic', [M], 'Change a topic: name, description, double opt-in, a frequency cap stricter than the stage’s'],
    ['POST', '/v1/templates', 'createTemplate', [M], 'Create a template (marketing templates are checked for the unsubscribe link and postal address)'],
    ['GET', '/v1/templates', 'listTemplates', [M, O], 'List templates'],
    ['GET', '/v1/templates/{id}', 'getTemplate', [M, O], 'One template'],
    ['PUT', '/v1/templates/{id}', 'updateTemplate', [M], 'Replace a template'],
    ['POST', '/v1/templates/preview', 'previewTemplate', [M], 'Render a template for a sample recipient, with the problems that would keep it from being saved'],
    ['POST', '/v1/recipients', 'createRecipient', [M], 'Create a recipient (same normalized address again returns the existing one)'],
    ['GET', '/v1/recipients', 'findRecipient', [M, O, P], 'Find a recipient by address (?email=)'],
    ['POST', '/v1/recipients/import', 'importRecipients', [M], 'Import a small file (up to 1,000 rows) from JSON lines or CSV and wait for a result per row'],
    ['POST', '/v1/imports', 'createImportJob', [M], 'Start an import job: a file of any size, imported in chunks on a queue (202 with the job id)'],
    ['GET', '/v1/imports/{id}', 'getImportJob', [M], 'An import job: status, rows done of total, created, updated, unchanged, rejected, rate and ETA'],
    ['GET', '/v1/imports/{id}/report', 'getImportReport', [M], 'Every rejected or warned row of an import job, with its line and reason'],
    ['GET', '/v1/recipients/{id}', 'getRecipient', [M, O, P], 'One recipient with consents, suppressions, tracking and do-not-sell'],
    ['PATCH', '/v1/recipients/{id}', 'updateRecipient', [M], 'Update a recipient'],
    ['PUT', '/v1/recipients/{id}/consents/{topic}', 'setConsent', [M, P], 'Opt a recipient in to or out of a topic'],
    ['PUT', '/v1/recipients/{id}/preferences', 'setPreferences', [P], 'Unsubscribe from all marketing, tracking consent, do not sell or share'],
    ['GET', '/v1/recipients/{id}/ledger', 'getLedger', [P], 'The consent ledger of a recipient: proof of when and how consent was given'],
    ['GET', '/v1/recipients/{id}/consents/{topic}/proof', 'proofOfConsent', [M, P], 'The ledger entries that establish the current consent to a topic'],
    ['GET', '/v1/recipients/{id}/export', 'exportRecipient', [P], 'Everything held about the person, as one JSON document'],
    ['DELETE', '/v1/recipients/{id}', 'eraseRecipient', [P], 'Erase the person everywhere; keep only a hashed tombstone of the address'],
    ['GET', '/v1/suppressions', 'listSuppressions', [M, O, P], 'Suppressions of an address (?email=)'],
    ['POST', '/v1/suppressions', 'addSuppression', [O, P], 'Suppress an address'],
    ['DELETE', '/v1/suppressions', 'liftSuppression', [O, P], 'Lift a suppression (a complaint needs a reason, and is ledgered)'],
    ['GET', '/v1/messages/{id}', 'getMessage', [O, P], 'A message record with its events'],
    ['POST', '/v1/campaigns', 'createCampaign', [M], 'Create a campaign (draft)'],
    ['GET', '/v1/campaigns', 'listCampaigns', [M, O], 'List campaigns, newest first'],
    ['GET', '/v1/campaigns/{id}', 'getCampaign', [M, O], 'A campaign with its progress, rate and ETA'],
    ['PATCH', '/v1/campaigns/{id}', 'updateCampaign', [M], 'Change a draft campaign'],
    ['POST', '/v1/campaigns/{id}/test', 'testSendCampaign', [M], 'Send the campaign to a few addresses as a test'],
    ['POST', '/v1/campaigns/{id}/schedule', 'scheduleCampaign', [M], 'Schedule a draft campaign to launch at `sendAt`'],
    ['POST', '/v1/campaigns/{id}/launch', 'launchCampaign', [M], 'Launch now (a draft or a scheduled campaign)'],
    ['POST', '/v1/campaigns/{id}/pause', 'pauseCampaign', [M, O], 'Pause a sending campaign; nothing more is sent until it is resumed'],
    ['POST', '/v1/campaigns/{id}/resume', 'resumeCampaign', [M, O], 'Resume a paused campaign where it stopped'],
    ['POST', '/v1/campaigns/{id}/cancel', 'cancelCampaign', [M], 'Cancel a campaign for good; what was sent stays sent'],
    ['POST', '/v1/campaigns/preview', 'previewCampaign', [M, O], 'Count who a campaign would reach: audience, excluded, eligible and held by reason, by the rules the sender applies'],
    ['GET', '/v1/campaigns/{id}/preview', 'previewStoredCampaign', [M, O], 'Count who a stored campaign would reach now, by the rules the sender applies'],
    // ---- A/B tests (issue 19) ----
    ['POST', '/v1/campaigns/{id}/winner', 'chooseCampaignWinner', [M], 'Pick an A/B test’s winner before `decideAfterSeconds`; the rest of the audience gets it'],
    // ---- segments, delivery timing (issue 18) ----
    ['POST', '/v1/segments', 'createSegment', [M], 'Create a segment: rules over country, locale, time zone, attributes, engagement and consent'],
    ['GET', '/v1/segments', 'listSegments', [M, O], 'List segments'],
    ['GET', '/v1/segments/{id}', 'getSegment', [M, O], 'One segment'],
    ['PUT', '/v1/segments/{id}', 'updateSegment', [M], 'Replace a segment’s name, description and rules'],
    ['DELETE', '/v1/segments/{id}', 'deleteSegment', [M], 'Delete a segment (campaigns already launched keep the rules they read)'],
    ['POST', '/v1/segments/preview', 'previewSegmentRules', [M, O], 'Count who rules not saved yet select among a topic’s subscribers (the segment builder’s live count)'],
    ['GET', '/v1/segments/{id}/preview', 'previewSegment', [M, O], 'Count who the segment selects among a topic’s subscribers (?topic=), as the campaign preview counts'],
    ['GET', '/v1/settings/delivery', 'getDeliverySettings', [M, O], 'Quiet hours, frequency cap and default time zone of the stage'],
    ['PUT', '/v1/settings/delivery', 'putDeliverySettings', [M, O], 'Change quiet hours, the frequency cap or the default time zone (null removes one)'],
  ]),
  // ---- journeys and events (issue 19) ----
  ...admin([
    ['POST', '/v1/journeys', 'createJourney', [M], 'Create a journey (draft): a trigger, steps (send, wait, branch), exitOn and reentry, checked in full'],
    ['GET', '/v1/journeys', 'listJourneys', [M, O], 'List journeys in id order'],
    ['GET', '/v1/journeys/{id}', 'getJourney', [M, O], 'A journey with its figures per step: entered, waiting, sent, deferred, held by reason, exited'],
    ['PUT', '/v1/journeys/{id}', 'updateJourney', [M], 'Replace a draft or paused journey’s definition'],
    ['POST', '/v1/journeys/{id}/activate', 'activateJourney', [M], 'Activate a draft or paused journey: it enrols and runs'],
    ['POST', '/v1/journeys/{id}/pause', 'pauseJourney', [M, O], 'Pause an active journey: it enrols nobody and everyone in it waits where they are'],
    ['POST', '/v1/journeys/{id}/archive', 'archiveJourney', [M], 'Archive a journey for good: whoever is in it leaves at their next step'],
    // Events come from services (SigV4), like transactional send: not from console users.
    ['POST', '/v1/events', 'postEvent', [], 'Post an event about a recipient: it enrols them in the journeys it triggers and exits them from those that exit on it'],
  ]),
  {
    method: 'POST',
    path: '/v1/messages',
    fn: 'sendMessage',
    auth: 'admin',
    operationId: 'sendMessage',
    // Transactional send is for services (SigV4), not console users.
    roles: [],
    summary: 'Send one templated message to one recipient (held when the rule says so)',
  },
  ...publicRoutes([
    ['GET', '/u/{token}', 'unsubscribe', 'showUnsubscribe', 'Unsubscribe page: names the topic, offers topic or all marketing; changes nothing'],
    ['POST', '/u/{token}', 'unsubscribe', 'unsubscribe', 'Unsubscribe now: RFC 8058 one-click body or the page form; idempotent, 200, no redirect'],
    // Paths are case-sensitive in API Gateway; some mail clients and gateways upper-case the unsubscribe path.
    ['GET', '/U/{token}', 'unsubscribe', 'showUnsubscribeUpperCase', 'The unsubscribe page under an upper-cased path (as GET /u/{token})'],
    ['POST', '/U/{token}', 'unsubscribe', 'unsubscribeUpperCase', 'Unsubscribe under an upper-cased path (as POST /u/{token})'],
    ['GET', '/p/{token}', 'preferences', 'showPreferences', 'Preference page (Sec-GPC: 1 records do not sell or share)'],
    ['POST', '/p/{token}', 'preferences', 'savePreferences', 'Save the preference page'],
    ['GET', '/o/{token}', 'openPixel', 'openPixel', 'Open pixel (`/o/TOKEN.gif`): always 200 with the 43-byte GIF'],
    ['GET', '/c/{token}', 'click', 'click', 'Tracked link: 302 to the URL stored with the message (also after erasure, for a link every recipient shares), else 404; 410 for a personal link after erasure'],
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
    ['GET', '/v1/metrics', 'getMetrics', [M, O], 'Figures and rates per day over a range (?from, to, campaign or topic), top hold reasons, marketing pause'],
    ['GET', '/v1/feedback/recent', 'listRecentFeedback', [M, O], 'Recent bounces and complaints, addresses masked'],
    ['GET', '/v1/marketing', 'getMarketing', [M, O], 'Whether marketing is paused, and the pauses and resumes so far'],
    ['POST', '/v1/marketing/pause', 'pauseMarketing', [O], 'Pause all marketing now (service mail continues)'],
    ['POST', '/v1/marketing/resume', 'resumeMarketing', [O], 'Resume marketing after a pause; the only way it resumes'],
  ]),
  {
    method: 'GET',
    path: '/ops',
    fn: 'opsPage',
    auth: 'admin',
    operationId: 'showOpsPage',
    summary: 'The ops page: figures over time, rates against SES thresholds, hold reasons, recent feedback',
    shell: true,
    roles: [O],
  },
];

/** `GET /v1/recipients/{id}`: the route key API Gateway uses, and the one the local gateway reports. */
export const routeKey = (r: Pick<RouteDef, 'method' | 'path'>): string => `${r.method} ${r.path}`;

/**
 * Whether a route takes `HEAD` as well (the same function, which answers it as its `GET`): the public `GET` routes,
 * which link checkers, mail scanners and uptime probes ask with `HEAD`. An HTTP API routes by exact method, so each
 * is a route of its own on AWS (lib/http-api.ts); admin routes take none.
 */
export const answersHead = (r: Pick<RouteDef, 'method' | 'auth'>): boolean => r.method === 'GET' && r.auth === 'public';

/** The routes the console API serves (lib/console-api.ts): every admin route but the `shell` pages (the console replaces them). */
export const consoleRoutes = (routes: readonly RouteDef[] = ROUTES): RouteDef[] => routes.filter((r) => r.auth === 'admin' && !r.shell);

/**
 * The console API's one route for the admin function's `/v1/…` routes: every HTTP API route is a stack resource, and
 * ~60 routes again came near CloudFormation's 500 resources per stack. The admin function finds the route a proxied
 * request is for by its method and path, as API Gateway would have (lambdas/handlers/admin.ts); the routes of other
 * functions keep a route of their own there.
 */
export const CONSOLE_PROXY_KEY = 'ANY /v1/{proxy+}';

/** Whether the console API serves `route` through {@link CONSOLE_PROXY_KEY}. */
export const consoleProxied = (r: Pick<RouteDef, 'fn' | 'path'>): boolean => r.fn === 'admin' && r.path.startsWith('/v1/');

/** Every route key a route is served under: its own, and `HEAD …` where {@link answersHead}. */
export const routeKeysOf = (r: Pick<RouteDef, 'method' | 'path' | 'auth'>): string[] => (answersHead(r) ? [routeKey(r), `HEAD ${r.path}`] : [routeKey(r)]);

/**
 * Whether a caller with `roles` may call `route`: a public route anyone; `admin` every route; a `self` route any
 * authenticated caller; else one of the route's roles. An admin route without `roles` is admin only.
 *
 * @example
 * mayCall(ROUTES.find((r) => r.operationId === 'eraseRecipient')!, ['marketing']) // false
 * mayCall(ROUTES.find((r) => r.operationId === 'eraseRecipient')!, ['privacy'])   // true
 */
export function mayCall(route: Pick<RouteDef, 'auth' | 'roles' | 'self'>, roles: readonly Role[]): boolean {
  if (route.auth === 'public') return true;
  if (roles.includes('admin')) return true;
  if (route.self) return true;
  return (route.roles ?? []).some((r) => roles.includes(r));
}
