/** Topics and templates. A template is checked before it is stored: a marketing one must be sendable. */
import { SendwellError } from '../domain/errors.ts';
import { SYSTEM_TEMPLATES } from '../domain/system-templates.ts';
import { validateTemplate } from '../domain/template.ts';
import type { TemplateInput, TemplateRecord, Topic, TopicInput } from '../schemas/model.ts';
import type { Deps } from './deps.ts';

export async function createTopic(deps: Deps, input: TopicInput): Promise<Topic> {
  const topic: Topic = { ...input, doubleOptIn: input.doubleOptIn ?? false, createdAt: deps.clock().toISOString() };
  await deps.catalog.createTopic(topic);
  return topic;
}

export async function getTopic(deps: Deps, id: string): Promise<Topic> {
  const topic = await deps.catalog.getTopic(id);
  if (!topic) throw new SendwellError('not_found', `No topic ${id}.`);
  return topic;
}

async function checkTemplate(deps: Deps, input: TemplateInput): Promise<void> {
  const { id: _id, ...template } = input;
  const problems = validateTemplate(template);
  if (problems.length > 0) {
    throw new SendwellError('validation_failed', 'The template cannot be sent as it is.', problems);
  }
  if (input.topic && !(await deps.catalog.getTopic(input.topic))) {
    throw new SendwellError('validation_failed', `No topic ${input.topic}; create it first.`, [{ path: 'topic', message: 'unknown topic' }]);
  }
  // Sendwell's own mails are service mail; replacing one with marketing would send marketing without consent.
  if (SYSTEM_TEMPLATES[input.id] && input.class !== 'service') {
    throw new SendwellError('validation_failed', `${input.id} replaces a Sendwell mail and must be class "service".`, [{ path: 'class', message: 'must be service' }]);
  }
}

export async function saveTemplate(deps: Deps, input: TemplateInput, mode: 'create' | 'replace'): Promise<TemplateRecord> {
  await checkTemplate(deps, input);
  const now = deps.clock().toISOString();
  const createdAt = mode === 'replace' ? ((await deps.catalog.getTemplate(input.id))?.createdAt ?? now) : now;
  const record: TemplateRecord = { ...input, createdAt, updatedAt: now };
  await deps.catalog.putTemplate(record, mode);
  return record;
}

export async function getTemplate(deps: Deps, id: string): Promise<TemplateRecord> {
  const template = await deps.catalog.getTemplate(id);
  if (!template) throw new SendwellError('not_found', `No template ${id}.`);
  return template;
}
