/**
 * What each operation of the route table takes and answers, by `operationId`. The OpenAPI document is generated
 * from this map and the route table; building it fails if a route has no entry here.
 */
import * as z from 'zod';
import { IdSchema, SlugSchema } from './fields.ts';
import { ImportJobAcceptedSchema, ImportJobIdSchema, ImportJobReportSchema, ImportJobSchema, ImportReportQuerySchema, ImportUploadAcceptedSchema, ImportUploadRequestSchema } from './imports.ts';
import { ErrorResponseSchema, HealthResponseSchema } from './common.ts';
import {
  CampaignIdSchema,
  CampaignInputSchema,
  CampaignListSchema,
  CampaignScheduleSchema,
  CampaignSchema,
  CampaignTestResultsSchema,
  CampaignTestSendSchema,
  CampaignUpdateSchema,
  CampaignWinnerSchema,
  ConsentChangeSchema,
  ListCampaignsQuerySchema,
  LedgerEntrySchema,
  LedgerQuerySchema,
  MessageIdSchema,
  MessageRecordSchema,
  PreferencesChangeSchema,
  RecipientInputSchema,
  RecipientSchema,
  RecipientUpdateSchema,
  SendMessageSchema,
  SendResultSchema,
  SuppressionInputSchema,
  SuppressionLiftSchema,
  SuppressionRecordSchema,
  TemplateInputSchema,
  TemplateRecordSchema,
  TopicInputSchema,
  TopicSchema,
  TopicUpdateSchema,
  SegmentInputSchema,
  SegmentSchema,
  SegmentUpdateSchema,
  SegmentPreviewQuerySchema,
  SegmentRulesPreviewSchema,
  DeliverySettingsInputSchema,
  DeliverySettingsSchema,
} from './model.ts';
import { CampaignPreviewInputSchema, CampaignPreviewSchema, MeSchema, TemplatePreviewInputSchema, TemplatePreviewSchema } from './previews.ts';
import { JourneyInputSchema, JourneyUpdateSchema } from './journeys.ts';
import { EventInputSchema, EventResultSchema, JourneyListSchema, JourneyParamsSchema, JourneySchema, JourneyWithFiguresSchema, ListJourneysQuerySchema } from './journeys.ts';
import { MarketingActionSchema, MarketingPauseSchema, MarketingStateSchema, MetricsQuerySchema, MetricsResponseSchema, RecentFeedbackQuerySchema, RecentFeedbackSchema } from './metrics.ts';

export interface OperationResponse {
  readonly description: string;
  /** Response headers, as OpenAPI header objects (`Location`, `Retry-After`). */
  readonly headers?: Readonly<Record<string, { readonly description: string; readonly schema: Readonly<Record<string, unknown>> }>>;
  readonly schema?: z.ZodType;
  /** Media type when not JSON (`text/html` for pages). */
  readonly mediaType?: string;
}

export interface OperationSchemas {
  readonly body?: z.ZodType;
  /** @default true */
  readonly bodyRequired?: boolean;
  /** A body that is not JSON (the import file): media types and a description. */
  readonly rawBody?: { readonly mediaTypes: readonly string[]; readonly description: string; readonly json?: z.ZodType };
  readonly query?: z.ZodType;
  readonly params?: z.ZodType;
  readonly responses: Readonly<Record<number, OperationResponse>>;
}

const error = (description: string): OperationResponse => ({ description, schema: ErrorResponseSchema });
const E400 = error('The request is not valid; `details` names each field');
const E401 = error('Missing or wrong credentials');
const E404 = error('Not found');
const E409 = error('Conflict');
const page = (description: string): OperationResponse => ({ description, mediaType: 'text/html' });
const campaignParams = z.object({ id: CampaignIdSchema });
const FORM_UNREADABLE = page('The form body cannot be read (malformed multipart or urlencoded data)');
const slugParams = z.object({ id: SlugSchema });
const recipientParams = z.object({ id: IdSchema });
const consentParams = z.object({ id: IdSchema, topic: SlugSchema });

export const ImportReportSchema = z
  .object({
    rows: z.number(),
    created: z.number(),
    updated: z.number(),
    unchanged: z.number(),
    rejected: z.array(z.object({ line: z.number(), reason: z.string() })),
    warnings: z.array(z.object({ line: z.number(), message: z.string() })),
  })
  .meta({ id: 'ImportReport' });

const EmailQuery = z.object({ email: z.string() });

export const OPERATIONS: Readonly<Record<string, OperationSchemas>> = {
  getHealth: {
    responses: {
      200: { description: 'Every dependency answers', schema: HealthResponseSchema },
      503: { description: 'A dependency does not answer', schema: HealthResponseSchema },
    },
  },
  getOpenApi: { responses: { 200: { description: 'The OpenAPI 3.1 document' }, 401: E401 } },
  getMe: { responses: { 200: { description: 'The caller: id, roles, kind', schema: MeSchema }, 401: E401 } },
  previewTemplate: {
    body: TemplatePreviewInputSchema,
    responses: {
      200: { description: 'The template rendered for the sample, with what would keep it from being saved (nothing is stored)', schema: TemplatePreviewSchema },
      400: E400,
      401: E401,
      404: error('Unknown sample recipient'),
    },
  },
  previewCampaign: {
    body: CampaignPreviewInputSchema,
    responses: { 200: { description: 'Who it would reach now, by the sender’s rules (nothing is sent)', schema: CampaignPreviewSchema }, 400: E400, 401: E401 },
  },
  previewStoredCampaign: {
    params: campaignParams,
    responses: { 200: { description: 'Who it would reach now, by the sender’s rules (nothing is sent)', schema: CampaignPreviewSchema }, 401: E401, 404: E404 },
  },

  createTopic: { body: TopicInputSchema, responses: { 201: { description: 'Created', schema: TopicSchema }, 400: E400, 401: E401, 409: E409 } },
  listTopics: { responses: { 200: { description: 'Every topic', schema: z.object({ topics: z.array(TopicSchema) }) }, 401: E401 } },
  getTopic: { params: slugParams, responses: { 200: { description: 'The topic', schema: TopicSchema }, 401: E401, 404: E404 } },
  updateTopic: {
    params: z.object({ id: SlugSchema }),
    body: TopicUpdateSchema,
    responses: { 200: { description: 'The changed topic', schema: TopicSchema }, 400: error('Not valid, or a cap not stricter than the stage’s'), 401: E401, 404: E404 },
  },

  createSegment: { body: SegmentInputSchema, responses: { 201: { description: 'Created', schema: SegmentSchema }, 400: E400, 401: E401, 409: E409 } },
  listSegments: { responses: { 200: { description: 'Every segment', schema: z.object({ segments: z.array(SegmentSchema) }) }, 401: E401 } },
  getSegment: { params: z.object({ id: SlugSchema }), responses: { 200: { description: 'The segment', schema: SegmentSchema }, 401: E401, 404: E404 } },
  updateSegment: {
    params: z.object({ id: SlugSchema }),
    body: SegmentUpdateSchema,
    responses: { 200: { description: 'Replaced', schema: SegmentSchema }, 400: E400, 401: E401, 404: E404 },
  },
  deleteSegment: {
    params: z.object({ id: SlugSchema }),
    responses: {
      200: { description: 'Deleted', schema: z.object({ id: z.string(), deleted: z.literal(true) }) },
      401: E401,
      404: E404,
      409: error('The segment is the audience of a scheduled campaign (read at its launch): change its audience or cancel it first'),
    },
  },
  previewSegment: {
    params: z.object({ id: SlugSchema }),
    query: SegmentPreviewQuerySchema,
    responses: {
      200: { description: 'Who the segment selects among the topic’s subscribers and what the send rule would do with them now (the campaign preview’s counts)', schema: CampaignPreviewSchema },
      400: E400,
      401: E401,
      404: E404,
    },
  },
  previewSegmentRules: {
    body: SegmentRulesPreviewSchema,
    responses: { 200: { description: 'The same counts as a stored segment’s preview', schema: CampaignPreviewSchema }, 400: E400, 401: E401 },
  },
  getDeliverySettings: { responses: { 200: { description: 'The stage’s delivery settings', schema: DeliverySettingsSchema }, 401: E401 } },
  putDeliverySettings: {
    body: DeliverySettingsInputSchema,
    responses: { 200: { description: 'The settings now in force', schema: DeliverySettingsSchema }, 400: E400, 401: E401 },
  },

  createTemplate: {
    body: TemplateInputSchema,
    responses: { 201: { description: 'Created', schema: TemplateRecordSchema }, 400: E400, 401: E401, 409: E409 },
  },
  listTemplates: { responses: { 200: { description: 'Every stored template', schema: z.object({ templates: z.array(TemplateRecordSchema) }) }, 401: E401 } },
  getTemplate: { params: slugParams, responses: { 200: { description: 'The template', schema: TemplateRecordSchema }, 401: E401, 404: E404 } },
  updateTemplate: {
    params: slugParams,
    body: TemplateInputSchema,
    responses: {
      200: { description: 'Replaced', schema: TemplateRecordSchema },
      400: E400,
      401: E401,
      404: E404,
      409: error('A scheduled, sending or paused campaign uses the template, and the new class or topic would stop it'),
    },
  },

  createRecipient: {
    body: RecipientInputSchema,
    responses: {
      201: { description: 'Created (and the welcome mail sent, unless `welcome: false`)', schema: RecipientSchema },
      200: { description: 'A recipient with this normalized address exists; it is returned unchanged (a welcome mail SES refused before is sent now)', schema: RecipientSchema },
      400: E400,
      401: E401,
      502: error('The recipient was stored, but SES did not accept the welcome mail: send the same request again to send it'),
    },
  },
  findRecipient: { query: EmailQuery, responses: { 200: { description: 'The recipient', schema: RecipientSchema }, 400: E400, 401: E401, 404: E404 } },
  importRecipients: {
    rawBody: {
      mediaTypes: ['application/x-ndjson', 'text/csv'],
      description:
        'JSON lines (`{"email", "country", "locale", "externalId", "attributes", "consents": {"<topic>": {"status", "at", "confirmedAt", "source", "wording"}}}`) ' +
        'or CSV with a header row (`email`, `country`, `locale`, `external_id`, `topic:<id>`, `consent_at`, `consent_confirmed_at`, `consent_source`, `consent_wording`, other columns become attributes). ' +
        'UTF-8 with or without BOM, UTF-16 or Windows-1252/Latin-1 (or the `charset` given); `,` `;` or tab. At most 1,000 rows: larger files go to `POST /v1/imports`.',
    },
    responses: { 200: { description: 'A result per row', schema: ImportReportSchema }, 400: E400, 401: E401, 413: error('More than 1,000 rows: send the file to `POST /v1/imports` (an import job)'), 415: error('Neither JSON lines nor CSV') },
  },
  createImportJob: {
    rawBody: {
      mediaTypes: ['application/x-ndjson', 'text/csv'],
      description:
        'The file, as for `POST /v1/recipients/import` (JSON lines or CSV; UTF-8 with or without BOM, UTF-16, Windows-1252/Latin-1; `,` `;` or tab), of any number of rows up to the request size (10 MB through API Gateway). ' +
        'It is read and split into chunks before the answer; rows are imported after it, on the import queue. ' +
        'For a larger file (up to 1,000,000 rows), send `application/json` `{"upload": {"format": "csv"|"jsonl", "charset"?: …}}` instead: ' +
        'the answer carries a pre-signed URL to PUT the file to (S3 on AWS, the local gateway locally); the job starts when the file has arrived.',
      json: ImportUploadRequestSchema,
    },
    responses: {
      202: {
        description: 'Queued (the file in the body), or waiting for the file at `upload.url` (`{upload: …}`); follow `Location` (`GET /v1/imports/{id}`) for progress',
        schema: z.union([ImportJobAcceptedSchema, ImportUploadAcceptedSchema]),
        headers: { Location: { description: 'The job: `/v1/imports/{id}`', schema: { type: 'string' } } },
      },
      400: E400,
      401: E401,
      413: error('More rows than a job takes, or a body larger than the request limit'),
      415: error('Neither JSON lines nor CSV, or an upload asked for where no upload store is configured'),
    },
  },
  getImportJob: {
    params: z.object({ id: ImportJobIdSchema }),
    responses: { 200: { description: 'Status, rows done of total, outcomes so far, rate and ETA', schema: ImportJobSchema }, 401: E401, 404: E404 },
  },
  getImportReport: {
    params: z.object({ id: ImportJobIdSchema }),
    query: ImportReportQuerySchema,
    responses: { 200: { description: 'Rejected and warned rows with their line and reason, a page of chunks at a time', schema: ImportJobReportSchema }, 401: E401, 404: E404 },
  },
  getRecipient: { params: recipientParams, responses: { 200: { description: 'The recipient', schema: RecipientSchema }, 401: E401, 404: E404 } },
  updateRecipient: { params: recipientParams, body: RecipientUpdateSchema, responses: { 200: { description: 'Updated', schema: RecipientSchema }, 400: E400, 401: E401, 404: E404 } },
  setConsent: { params: consentParams,
    body: ConsentChangeSchema,
    responses: {
      200: { description: 'The recipient with the new consent (`pending` where confirmation is required; a confirmation mail was sent)', schema: RecipientSchema },
      400: E400,
      401: E401,
      404: E404,
      409: E409,
      502: error('The consent is pending, but SES did not accept the confirmation mail'),
    },
  },
  setPreferences: { params: recipientParams, body: PreferencesChangeSchema, responses: { 200: { description: 'Updated', schema: RecipientSchema }, 400: E400, 401: E401, 404: E404 } },
  getLedger: {
    query: LedgerQuerySchema,
    params: recipientParams,
    responses: { 200: { description: 'Ledger entries, oldest first', schema: z.object({ entries: z.array(LedgerEntrySchema), next: z.string().optional() }) }, 401: E401, 404: E404 },
  },

  proofOfConsent: { params: consentParams,
    responses: {
      200: {
        description: 'The current status, the entries that establish it, and the topic history',
        schema: z.object({ recipientId: z.string(), topic: z.string(), status: z.string(), established: z.array(LedgerEntrySchema), history: z.array(LedgerEntrySchema) }),
      },
      401: E401,
      404: E404,
    },
  },
  exportRecipient: { params: recipientParams,
    responses: {
      200: {
        description: 'Format `sendwell.export.v1`: the recipient, the full ledger, suppressions, every message with its events, their journeys and their marketing send log',
        schema: z.object({
          format: z.literal('sendwell.export.v1'),
          exportedAt: z.string(),
          recipient: RecipientSchema,
          ledger: z.array(LedgerEntrySchema),
          suppressions: z.array(SuppressionRecordSchema),
          messages: z.array(MessageRecordSchema),
          journeys: z
            .array(
              z.object({
                journeyId: z.string(),
                run: z.number().int(),
                step: z.string(),
                status: z.string(),
                enrolledAt: z.string(),
                updatedAt: z.string(),
                data: z.record(z.string(), z.unknown()).optional().meta({ description: 'The trigger event’s properties, kept as the steps’ template data.' }),
                sent: z.record(z.string(), z.string()).optional().meta({ description: 'The message each send step produced, by step.' }),
                exitReason: z.string().optional(),
              }),
            )
            .meta({ description: 'Every journey the person is or was in.' }),
          sendLog: z
            .array(z.object({ messageId: z.string(), at: z.string() }))
            .meta({ description: 'The marketing mails that took a frequency-cap slot, and when (the caps’ window).' }),
        }),
      },
      401: E401,
      404: E404,
    },
  },
  eraseRecipient: { params: recipientParams,
    responses: {
      200: {
        description: 'What was removed (zeros when nothing was left under this id); the address tombstone is kept',
        schema: z.object({
          recipientId: z.string(),
          erased: z.boolean(),
          removed: z.object({ recipientItems: z.number(), ledgerEntries: z.number(), messages: z.number(), messageItems: z.number() }),
          tombstone: z.boolean(),
        }),
      },
      401: E401,
    },
  },
  listSuppressions: { query: EmailQuery, responses: { 200: { description: 'Suppressions of the address', schema: z.object({ suppressions: z.array(SuppressionRecordSchema) }) }, 400: E400, 401: E401 } },
  addSuppression: { body: SuppressionInputSchema, responses: { 201: { description: 'Suppressed', schema: SuppressionRecordSchema }, 400: E400, 401: E401 } },
  liftSuppression: {
    body: SuppressionLiftSchema,
    responses: { 200: { description: 'Lifted', schema: z.object({ lifted: SuppressionRecordSchema }) }, 400: E400, 401: E401, 404: E404 },
  },

  sendMessage: {
    body: SendMessageSchema,
    responses: {
      202: {
        description: '`sent`; `held` with the reason (a hold is an outcome, not an error); or `deferred` with `until` (marketing inside the recipient’s quiet hours, sent then)',
        schema: SendResultSchema,
      },
      400: E400,
      401: E401,
      404: error('Unknown template'),
      409: error('Idempotency key reused for a different request'),
      502: error('SES did not accept the message; nothing was sent'),
    },
  },
  getMessage: { params: z.object({ id: MessageIdSchema }), responses: { 200: { description: 'The message record with its events', schema: MessageRecordSchema }, 401: E401, 404: E404 } },

  createCampaign: { body: CampaignInputSchema, responses: { 201: { description: 'The campaign, a draft', schema: CampaignSchema }, 400: E400, 401: E401 } },
  listCampaigns: { query: ListCampaignsQuerySchema, responses: { 200: { description: 'Newest first, with progress', schema: CampaignListSchema }, 400: E400, 401: E401 } },
  getCampaign: { params: campaignParams, responses: { 200: { description: 'The campaign with its progress, rate and ETA', schema: CampaignSchema }, 401: E401, 404: E404 } },
  updateCampaign: {
    params: campaignParams,
    body: CampaignUpdateSchema,
    responses: { 200: { description: 'The changed draft', schema: CampaignSchema }, 400: E400, 401: E401, 404: E404, 409: error('Not a draft any more') },
  },
  testSendCampaign: {
    params: campaignParams,
    body: CampaignTestSendSchema,
    responses: {
      200: {
        description: 'One result per address, in order: `sent`, `held` with the reason, `failed` (SES refused it) or `sending` (SES did not answer) with `error`; one address failing does not stop the others',
        schema: CampaignTestResultsSchema,
      },
      400: error('An address is not valid (nothing was sent)'),
      401: E401,
      404: E404,
    },
  },
  scheduleCampaign: {
    params: campaignParams,
    body: CampaignScheduleSchema,
    bodyRequired: false,
    responses: { 202: { description: '`scheduled`', schema: CampaignSchema }, 400: E400, 401: E401, 404: E404, 409: error('Not a draft or scheduled campaign') },
  },
  launchCampaign: { params: campaignParams, responses: { 202: { description: '`sending`', schema: CampaignSchema }, 401: E401, 404: E404, 409: error('Not a draft or scheduled campaign') } },
  pauseCampaign: { params: campaignParams, responses: { 202: { description: '`paused`', schema: CampaignSchema }, 401: E401, 404: E404, 409: error('Not sending') } },
  resumeCampaign: { params: campaignParams, responses: { 202: { description: '`sending` again', schema: CampaignSchema }, 401: E401, 404: E404, 409: error('Not paused') } },
  chooseCampaignWinner: {
    params: campaignParams,
    body: CampaignWinnerSchema,
    responses: {
      202: { description: 'The campaign with its `decision`; the rest of the audience is queued for the winner', schema: CampaignSchema },
      400: E400,
      401: E401,
      404: E404,
      409: error('No A/B test with a test share, the winner is decided already, or the campaign is not sending or paused'),
    },
  },
  cancelCampaign: { params: campaignParams, responses: { 202: { description: '`cancelled`', schema: CampaignSchema }, 401: E401, 404: E404, 409: error('Already completed or cancelled') } },

  showUnsubscribe: {
    params: z.object({ token: z.string() }),
    responses: { 400: FORM_UNREADABLE, 200: page('What will be unsubscribed, with buttons; or that the person’s data was erased'), 404: page('The link is not valid') },
  },
  unsubscribe: {
    params: z.object({ token: z.string() }),
    rawBody: {
      mediaTypes: ['application/x-www-form-urlencoded', 'multipart/form-data'],
      description:
        'Anything: every POST unsubscribes and is recorded as `one_click` (RFC 8058: `List-Unsubscribe=One-Click` in either encoding, or no body, or any content type), except the page’s own form `via=page&scope=topic|all`, recorded as `link`. Any origin.',
    },
    responses: { 400: FORM_UNREADABLE, 200: page('Unsubscribed (also when already unsubscribed, or when the person’s data was erased)'), 404: page('The link is not valid') },
  },
  showPreferences: {
    params: z.object({ token: z.string() }),
    responses: { 400: FORM_UNREADABLE, 200: page('The preference page; or that the person’s data was erased'), 404: page('The link is not valid') },
  },
  showUnsubscribeUpperCase: { params: z.object({ token: z.string() }), responses: { 400: FORM_UNREADABLE, 200: page('As GET /u/{token}'), 404: page('The link is not valid') } },
  unsubscribeUpperCase: { params: z.object({ token: z.string() }), responses: { 400: FORM_UNREADABLE, 200: page('As POST /u/{token}'), 404: page('The link is not valid') } },
  savePreferences: {
    params: z.object({ token: z.string() }),
    rawBody: {
      mediaTypes: ['application/x-www-form-urlencoded'],
      description:
        '`form=preferences`, then per setting `off` or `on` (a hidden `off` before each checkbox; the last value wins): `topic:<id>`, `unsubscribed_all`, `tracking`, `do_not_sell`. A setting absent from the POST stays as it is; with `Sec-GPC: 1`, `do_not_sell` cannot be turned off.',
    },
    responses: { 400: FORM_UNREADABLE, 200: page('Saved; the page lists what changed'), 403: page('Sent from another site (`Sec-Fetch-Site` or `Origin`): nothing changed'), 404: page('The link is not valid') },
  },
  openPixel: { params: z.object({ token: z.string() }), responses: { 200: { description: 'The 43-byte transparent GIF, always (a HEAD is never counted)', mediaType: 'image/gif' } } },
  click: {
    params: z.object({ token: z.string() }),
    responses: {
      400: FORM_UNREADABLE,
      302: { description: 'Redirect to the link as it was in the message, an encoded absolute URL; also after the person’s data was erased, for a link every recipient shares (nothing recorded)' },
      404: page('Not a link of this message'),
      410: page('A link made for a person whose data was erased since'),
    },
  },
  showConfirmOptIn: { params: z.object({ token: z.string() }), responses: { 400: FORM_UNREADABLE, 200: page('A page with a confirm button'), 404: page('The link is not valid') } },
  confirmOptIn: {
    params: z.object({ token: z.string() }),
    responses: { 400: FORM_UNREADABLE, 200: page('Confirmed'), 403: page('Sent from another site: nothing confirmed'), 404: page('The link is not valid'), 409: page('Nothing pending to confirm') },
  },

  getMetrics: {
    query: MetricsQuerySchema,
    responses: { 200: { description: 'Figures and rates per day and in total', schema: MetricsResponseSchema }, 400: error('Bad range: not a day, from after to, more than 400 days, or both campaign and topic'), 401: E401 },
  },
  listRecentFeedback: {
    query: RecentFeedbackQuerySchema,
    responses: { 200: { description: 'Newest first; kept 30 days', schema: z.object({ entries: z.array(RecentFeedbackSchema) }) }, 400: E400, 401: E401 },
  },
  getMarketing: { responses: { 200: { description: 'The marketing switch', schema: MarketingStateSchema }, 401: E401 } },
  pauseMarketing: {
    body: MarketingActionSchema,
    responses: { 200: { description: 'Paused', schema: z.object({ paused: z.literal(true), pause: MarketingPauseSchema }) }, 400: E400, 401: E401, 409: error('Paused already') },
  },
  resumeMarketing: {
    body: MarketingActionSchema,
    responses: {
      200: { description: 'Resumed; the auto-pause judges only what is counted from now on', schema: z.object({ paused: z.literal(false), resumedAt: z.string(), ended: MarketingPauseSchema }) },
      400: E400,
      401: E401,
      409: error('Marketing is not paused'),
    },
  },
  showOpsPage: { responses: { 200: page('The ops page (it asks for the admin key locally; behind IAM on AWS)'), 401: E401 } },

  // ---- journeys and events (issue 19) ----
  createJourney: {
    body: JourneyInputSchema,
    responses: { 201: { description: 'Created (`draft`)', schema: JourneySchema }, 400: error('Not valid: `details` names the field (an unknown step id, template or topic, a loop without a wait)'), 401: E401, 409: error('A journey with this id exists') },
  },
  listJourneys: { query: ListJourneysQuerySchema, responses: { 200: { description: 'One page of journeys', schema: JourneyListSchema }, 400: E400, 401: E401 } },
  getJourney: { params: JourneyParamsSchema, responses: { 200: { description: 'The journey and its figures per step', schema: JourneyWithFiguresSchema }, 401: E401, 404: E404 } },
  updateJourney: {
    params: JourneyParamsSchema,
    body: JourneyUpdateSchema,
    responses: { 200: { description: 'Replaced', schema: JourneySchema }, 400: E400, 401: E401, 404: E404, 409: error('Not draft or paused') },
  },
  activateJourney: { params: JourneyParamsSchema, responses: { 200: { description: '`active`', schema: JourneyWithFiguresSchema }, 401: E401, 404: E404, 409: error('Archived') } },
  pauseJourney: { params: JourneyParamsSchema, responses: { 200: { description: '`paused`', schema: JourneyWithFiguresSchema }, 401: E401, 404: E404, 409: error('Not active') } },
  archiveJourney: { params: JourneyParamsSchema, responses: { 200: { description: '`archived`', schema: JourneyWithFiguresSchema }, 401: E401, 404: E404 } },
  postEvent: {
    body: EventInputSchema,
    responses: {
      202: { description: 'Recorded: the journeys it enrolled the recipient in (their first steps already ran up to the first wait)', schema: EventResultSchema },
      400: E400,
      401: E401,
      404: error('No such recipient'),
      409: error('The idempotency key was used for a different event'),
    },
  },
};
