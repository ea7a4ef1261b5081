/**
 * The default welcome journey: the welcome mail Sendwell sends on sign-up (service mail that explains how to opt out)
 * as its first step, for every recipient created through the API. One definition for the console's button, the CLI's
 * `journeys welcome` and the docs; plain data, so the console bundles it without the schemas.
 */
import { WELCOME_TEMPLATE_ID } from './system-templates.ts';

export const WELCOME_JOURNEY = {
  id: 'welcome',
  name: 'Welcome',
  description: 'The welcome mail sent on sign-up, as the first step of a series: add waits and follow-ups after it.',
  trigger: { recipientCreated: true as const },
  steps: [{ id: 'welcome-mail', send: { template: WELCOME_TEMPLATE_ID } }],
  exitOn: ['unsubscribed'],
  reentry: 'never' as const,
};
