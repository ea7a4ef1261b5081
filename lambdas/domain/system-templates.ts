/**
 * The mails Sendwell sends on its own: the welcome mail (with how to opt out, as the policies promise) and the
 * double opt-in confirmation. Both are service mail. A stored template with the same id replaces the built-in one,
 * so a team can use its own wording; it is checked like any template.
 */
import type { Template } from './template.ts';

export const WELCOME_TEMPLATE_ID = 'sendwell-welcome';
export const CONFIRM_TEMPLATE_ID = 'sendwell-confirm';

const frame = (body: string) =>
  `<!doctype html><html><body style="font-family:system-ui,sans-serif;line-height:1.5;color:#1f2937;max-width:560px;margin:auto">${body}</body></html>`;

export const SYSTEM_TEMPLATES: Readonly<Record<string, Template>> = {
  [WELCOME_TEMPLATE_ID]: {
    class: 'service',
    subject: 'Welcome',
    html: frame(
      '<h1>Welcome</h1><p>Thanks for signing up. We will only send you marketing about the topics you choose.</p>' +
        '<p><strong>How to opt out:</strong> every marketing mail has an unsubscribe link at the bottom, and your ' +
        '<a href="{{preferences_url}}">preference page</a> lets you choose topics, stop all marketing, turn off open ' +
        'tracking, or tell us not to sell or share your personal information. Account and service messages continue.</p>',
    ),
    text:
      'Welcome\n\nThanks for signing up. We will only send you marketing about the topics you choose.\n\n' +
      'How to opt out: every marketing mail has an unsubscribe link at the bottom, and your preference page lets you ' +
      'choose topics, stop all marketing, turn off open tracking, or tell us not to sell or share your personal ' +
      'information. Account and service messages continue.\n\nPreference page: {{preferences_url}}\n',
  },
  [CONFIRM_TEMPLATE_ID]: {
    class: 'service',
    subject: 'Please confirm your subscription to {{topic_name}}',
    html: frame(
      '<h1>Confirm your subscription</h1><p>Someone, hopefully you, asked to receive <strong>{{topic_name}}</strong>. ' +
        'We will not send any until you confirm.</p><p><a href="{{confirm_url}}" style="display:inline-block;padding:10px 16px;' +
        'background:#2563eb;color:#fff;border-radius:6px;text-decoration:none">Yes, subscribe me</a></p>' +
        '<p>If this was not you, ignore this mail. <a href="{{preferences_url}}">Manage your preferences</a>.</p>',
    ),
    text:
      'Confirm your subscription\n\nSomeone, hopefully you, asked to receive {{topic_name}}. We will not send any until you confirm.\n\n' +
      'Confirm: {{confirm_url}}\n\nIf this was not you, ignore this mail. Preferences: {{preferences_url}}\n',
  },
};
