/**
 * The admin API function: every `/v1` route of `fn: 'admin'` in the route table, dispatched by route key to its
 * operation's handler. One function keeps the admin API warm and its cold starts rare; each operation is still its
 * own small handler with its own schemas.
 */
import type { Context } from 'aws-lambda';
import { createRouter } from '../wiring/route-match.ts';
import { CONSOLE_PROXY_KEY, consoleProxied, consoleRoutes, ROUTES, routeKey } from '../wiring/routes.ts';
import { type HttpEvent, type HttpResult } from './middleware/http.ts';
import { noRouteResult } from './no-route.ts';
import {
  cancelCampaignHandler,
  chooseCampaignWinnerHandler,
  createCampaignHandler,
  getCampaignHandler,
  launchCampaignHandler,
  listCampaignsHandler,
  pauseCampaignHandler,
  previewCampaignHandler,
  previewStoredCampaignHandler,
  resumeCampaignHandler,
  scheduleCampaignHandler,
  testSendCampaignHandler,
  updateCampaignHandler,
} from './admin/campaigns.ts';
import { createImportJobHandler, getImportJobHandler, getImportReportHandler } from './admin/imports.ts';
import { getMeHandler } from './admin/me.ts';
import {
  activateJourneyHandler,
  archiveJourneyHandler,
  createJourneyHandler,
  getJourneyHandler,
  listJourneysHandler,
  pauseJourneyHandler,
  postEventHandler,
  updateJourneyHandler,
} from './admin/journeys.ts';
import { getMessageHandler } from './admin/messages.ts';
import { getMarketingHandler, getMetricsHandler, listRecentFeedbackHandler, pauseMarketingHandler, resumeMarketingHandler } from './admin/metrics.ts';
import {
  createRecipientHandler,
  eraseRecipientHandler,
  exportRecipientHandler,
  proofOfConsentHandler,
  findRecipientHandler,
  getLedgerHandler,
  getRecipientHandler,
  importRecipientsHandler,
  setConsentHandler,
  setPreferencesHandler,
  updateRecipientHandler,
} from './admin/recipients.ts';
import { addSuppressionHandler, liftSuppressionHandler, listSuppressionsHandler } from './admin/suppressions.ts';
import { createTemplateHandler, getTemplateHandler, listTemplatesHandler, previewTemplateHandler, updateTemplateHandler } from './admin/templates.ts';
import { createTopicHandler, getTopicHandler, listTopicsHandler, updateTopicHandler } from './admin/topics.ts';
import {
  createSegmentHandler,
  deleteSegmentHandler,
  getSegmentHandler,
  listSegmentsHandler,
  previewSegmentHandler,
  previewSegmentRulesHandler,
  updateSegmentHandler,
} from './admin/segments.ts';
import { getDeliverySettingsHandler, putDeliverySettingsHandler } from './admin/settings.ts';

type Operation = (event: HttpEvent, context: Context) => Promise<HttpResult>;

export const OPERATION_HANDLERS: Readonly<Record<string, Operation>> = {
  getMe: getMeHandler,
  createTopic: createTopicHandler,
  listTopics: listTopicsHandler,
  getTopic: getTopicHandler,
  updateTopic: updateTopicHandler,
  createSegment: createSegmentHandler,
  listSegments: listSegmentsHandler,
  getSegment: getSegmentHandler,
  updateSegment: updateSegmentHandler,
  deleteSegment: deleteSegmentHandler,
  previewSegment: previewSegmentHandler,
  previewSegmentRules: previewSegmentRulesHandler,
  getDeliverySettings: getDeliverySettingsHandler,
  putDeliverySettings: putDeliverySettingsHandler,
  createTemplate: createTemplateHandler,
  listTemplates: listTemplatesHandler,
  getTemplate: getTemplateHandler,
  updateTemplate: updateTemplateHandler,
  previewTemplate: previewTemplateHandler,
  createRecipient: createRecipientHandler,
  findRecipient: findRecipientHandler,
  importRecipients: importRecipientsHandler,
  createImportJob: createImportJobHandler,
  getImportJob: getImportJobHandler,
  getImportReport: getImportReportHandler,
  getRecipient: getRecipientHandler,
  updateRecipient: updateRecipientHandler,
  setConsent: setConsentHandler,
  setPreferences: setPreferencesHandler,
  getLedger: getLedgerHandler,
  exportRecipient: exportRecipientHandler,
  eraseRecipient: eraseRecipientHandler,
  proofOfConsent: proofOfConsentHandler,
  listSuppressions: listSuppressionsHandler,
  addSuppression: addSuppressionHandler,
  liftSuppression: liftSuppressionHandler,
  getMessage: getMessageHandler,
  createCampaign: createCampaignHandler,
  listCampaigns: listCampaignsHandler,
  getCampaign: getCampaignHandler,
  updateCampaign: updateCampaignHandler,
  testSendCampaign: testSendCampaignHandler,
  scheduleCampaign: scheduleCampaignHandler,
  launchCampaign: launchCampaignHandler,
  pauseCampaign: pauseCampaignHandler,
  resumeCampaign: resumeCampaignHandler,
  cancelCampaign: cancelCampaignHandler,
  chooseCampaignWinner: chooseCampaignWinnerHandler,
  previewCampaign: previewCampaignHandler,
  previewStoredCampaign: previewStoredCampaignHandler,
  getMetrics: getMetricsHandler,
  listRecentFeedback: listRecentFeedbackHandler,
  getMarketing: getMarketingHandler,
  pauseMarketing: pauseMarketingHandler,
  resumeMarketing: resumeMarketingHandler,
  // journeys and events (issue 19)
  createJourney: createJourneyHandler,
  listJourneys: listJourneysHandler,
  getJourney: getJourneyHandler,
  updateJourney: updateJourneyHandler,
  activateJourney: activateJourneyHandler,
  pauseJourney: pauseJourneyHandler,
  archiveJourney: archiveJourneyHandler,
  postEvent: postEventHandler,
};

const byRouteKey = new Map<string, Operation>();
for (const route of ROUTES.filter((r) => r.fn === 'admin')) {
  const op = OPERATION_HANDLERS[route.operationId];
  // Fails the cold start (and the tests) rather than a request: a route without an implementation is a deploy bug.
  if (!op) throw new Error(`admin: no handler for operation ${route.operationId}`);
  byRouteKey.set(routeKey(route), op);
}

/** What the console API's proxy route may hand over: the routes it serves through it (routes.ts `consoleProxied`). */
const proxied = createRouter(consoleRoutes().filter(consoleProxied));

/**
 * The event as the route it is for would have made it: a request through the console API's proxy route carries
 * `routeKey: "ANY /v1/{proxy+}"`, so its route and path parameters are found here, as API Gateway finds them.
 */
function routed(event: HttpEvent): HttpEvent {
  if (event.routeKey !== CONSOLE_PROXY_KEY) return event;
  const found = proxied(event.requestContext.http.method, event.rawPath);
  const key = found ? routeKey(found.route) : '$default';
  return { ...event, routeKey: key, pathParameters: found?.params ?? {}, requestContext: { ...event.requestContext, routeKey: key } };
}

export const handler = async (received: HttpEvent, context: Context): Promise<HttpResult> => {
  const event = routed(received);
  const op = byRouteKey.get(event.routeKey);
  // `$default` (or a route this function does not serve): 404, or 405 with Allow, never an operation.
  if (!op) return noRouteResult(event);
  return op(event, context);
};
