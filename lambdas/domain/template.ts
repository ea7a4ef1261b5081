/**
 * Templates: `{{name}}` and `{{a.b}}` placeholders, nothing else — no logic, no unescaped output. A value is
 * HTML-escaped in the HTML part, kept as is in the text part, and kept on one line in the subject.
 */
import type { MessageClass } from './decide.ts';
import type { ErrorDetail } from './errors.ts';
import { checkTemplateHrefs } from './hrefs.ts';

export interface Template {
  readonly class: MessageClass;
  readonly topic?: string;
  readonly subject: string;
  readonly html: string;
  readonly text: string;
}
export type TemplateParts = Pick<Template, 'subject' | 'html' | 'text'>;

/**
 * Variables only Sendwell fills. Caller data under these names is ignored, so a caller can never point the
 * unsubscribe link somewhere else or drop the postal address.
 */
export const SYSTEM_VARIABLES = ['unsubscribe_url', 'preferences_url', 'postal_address', 'confirm_url'] as const;
export type SystemVariable = (typeof SYSTEM_VARIABLES)[number];
export type SystemValues = Partial<Record<SystemVariable, string>>;

export interface RenderedTemplate {
  readonly subject: string;
  readonly html: string;
  readonly text: string;
  /** Variables used by the template that had no value (rendered empty), each once, in order of appearance. */
  readonly missing: readonly string[];
}

// Spaces inside the braces are allowed (`{{ name }}`); anything else between them is not a placeholder.
const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*$/;
const SYSTEM = new Set<string>(SYSTEM_VARIABLES);
const LINE_BREAKING = /[\p{Cc}\u2028\u2029]+/gu;
const HAS_LINE_BREAKING = /[\p{Cc}\u2028\u2029]/u;

/**
 * Fills a template. Unknown variables render empty and are listed in `missing`, so a caller can decide whether
 * that is fatal; `SYSTEM_VARIABLES` come only from `system`.
 *
 * @example
 * renderTemplate(
 *   { subject: 'Hi {{name}}', html: '<p>{{name}}</p><a href="{{unsubscribe_url}}">Unsubscribe</a>', text: '{{name}}' },
 *   { name: 'Tom & <Jerry>', unsubscribe_url: 'https://evil.example' },
 *   { unsubscribe_url: 'https://mail.example/u/T' },
 * )
 * // { subject: 'Hi Tom & <Jerry>', html: '<p>Tom &amp; &lt;Jerry&gt;</p><a href="https://mail.example/u/T">…', text: 'Tom & <Jerry>', missing: [] }
 */
export function renderTemplate(
  template: TemplateParts,
  data: Readonly<Record<string, unknown>>,
  system: SystemValues = {},
): RenderedTemplate {
  const missing = new Set<string>();
  const fill = (source: string, encode: (value: string) => string) =>
    source.replace(PLACEHOLDER, (whole, name: string) => {
      if (!NAME.test(name)) return whole;
      const value = lookup(name, data, system);
      if (value === undefined) {
        missing.add(name);
        return '';
      }
      return encode(value);
    });
  return {
    subject: singleLine(fill(template.subject, (v) => v)),
    html: fill(template.html, escapeHtml),
    text: fill(template.text, (v) => v),
    missing: [...missing],
  };
}

/**
 * Everything that keeps a template from being saved or sent, as error details (empty when it is fine). Marketing
 * must carry `{{unsubscribe_url}}` and `{{postal_address}}` in both parts — a client shows one part or the other,
 * never both — and a topic; service mail must not have a topic (there is nothing to unsubscribe from).
 *
 * @example
 * validateTemplate({ class: 'service', subject: 'Your receipt', html: '<p>Thanks</p>', text: 'Thanks' }) // []
 * validateTemplate({ class: 'marketing', subject: 'Sale', html: '<p>50%</p>', text: '50%' })
 * // [{ path: 'topic', message: … }, { path: 'html', message: 'marketing needs {{unsubscribe_url}}' }, …]
 */
export function validateTemplate(template: Template): ErrorDetail[] {
  const problems: ErrorDetail[] = [];
  const problem = (path: string, message: string) => problems.push({ path, message });

  if (template.class === 'marketing' && template.topic === undefined) problem('topic', 'marketing needs a topic');
  if (template.class === 'service' && template.topic !== undefined) problem('topic', 'service mail has no topic');

  if (template.subject.trim() === '') problem('subject', 'subject is empty');
  if (HAS_LINE_BREAKING.test(template.subject)) {
    problem('subject', 'subject contains a line break or control character');
  }
  if (template.html.trim() === '') problem('html', 'an HTML part is required');
  if (template.text.trim() === '') problem('text', 'a plain-text part is required');

  for (const part of ['subject', 'html', 'text'] as const) {
    for (const bad of malformedPlaceholders(template[part])) problem(part, `malformed placeholder ${bad}`);
  }

  // Every href must be an http, https or mailto URL (one with a variable in it is checked again per recipient).
  problems.push(...checkTemplateHrefs(template.html));

  if (template.class === 'marketing') {
    for (const part of ['html', 'text'] as const) {
      const used = variablesIn(template[part]);
      for (const required of ['unsubscribe_url', 'postal_address']) {
        if (!used.has(required)) problem(part, `marketing needs {{${required}}}`);
      }
    }
  }
  return problems;
}

/**
 * Escapes text for HTML element content and quoted attribute values.
 *
 * @example
 * escapeHtml(`<a href="x">Tom & 'Jerry'</a>`) // '&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;'
 */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

function lookup(name: string, data: Readonly<Record<string, unknown>>, system: SystemValues): string | undefined {
  const [head = '', ...rest] = name.split('.');
  if (SYSTEM.has(head)) return rest.length === 0 ? system[head as SystemVariable] : undefined;
  let value: unknown = data;
  for (const key of [head, ...rest]) {
    // Own properties only: `{{constructor.name}}` must not reach into prototypes.
    if (typeof value !== 'object' || value === null || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  // null, objects and arrays have no text form a reader would want.
  return undefined;
}

function singleLine(subject: string): string {
  return subject.replace(LINE_BREAKING, ' ');
}

function variablesIn(source: string): Set<string> {
  const names = new Set<string>();
  for (const [, name = ''] of source.matchAll(PLACEHOLDER)) if (NAME.test(name)) names.add(name);
  return names;
}

/** Placeholders that would not render (also checked on an A/B variant's subject, which overrides a template's). */
export function malformedPlaceholders(source: string): string[] {
  const bad: string[] = [];
  // Triple braces mean "unescaped" elsewhere; here every value is escaped, so say so rather than half-render it.
  if (source.includes('{{{')) bad.push('{{{…}}} (values are always escaped)');
  for (const [whole, name = ''] of source.matchAll(PLACEHOLDER)) if (!NAME.test(name)) bad.push(whole);
  const rest = source.replace(PLACEHOLDER, '');
  if (rest.includes('{{') && !source.includes('{{{')) bad.push('{{ without a closing }}');
  return bad;
}
