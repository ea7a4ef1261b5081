/** Topics and templates. A template is checked before it is stored: a marketing one must be sendable. */
import { addressHash, addressProblem, normalizeEmail } from '../domain/email-address.ts';
import { SendwellError, type ErrorDetail } from '../domain/errors.ts';
import { SYSTEM_TEMPLATES } from '../domain/system-templates.ts';
import { renderTemplate, validateTemplate } from '../domain/template.ts';
import { isStricterCap } from '../domain/delivery-timing.ts';
import { noteTopicCaps } from './delivery-settings.ts';
import type { TemplateInput, TemplateRecord, Topic, TopicInput, TopicUpdate } from '../schemas/model.ts';
import type { TemplatePreview, TemplatePreviewInput } from '../schemas/previews.ts';
import type { Deps } from './deps.ts';
import { campaignsBrokenBy } from './campaigns.ts';

export async function createTopic(deps: Deps, input: TopicInput): Promise<Topic> {
  if (input.frequencyCap) await checkTopicCap(deps, input.frequencyCap);
  const topic: Topic = { ...input, doubleOptIn: input.doubleOptIn ?? false, createdAt: deps.clock().toISOString() };
  await deps.catalog.createTopic(topic);
  if (topic.frequencyCap) await noteTopicCaps(deps);
  return topic;
}

/**
 * A topic's `frequencyCap` must be stricter than the stage's (at most as many mails in at least as many days): both
 * caps apply to the topic's marketing, so a looser one would do nothing.
 */
async function checkTopicCap(deps: Deps, cap: NonNullable<TopicInput['frequencyCap']>): Promise<void> {
  const stage = (await deps.delivery.getSettings()).frequencyCap;
  if (!isStricterCap(cap, stage)) {
    throw new SendwellError('validation_failed', 'A topic’s cap must be stricter than the stage’s.', [
      { path: 'frequencyCap', message: `the stage allows ${stage!.max} in ${stage!.days} days; give at most ${stage!.max} in at least ${stage!.days} days` },
    ]);
  }
}

/** Changes a topic; a `frequencyCap` as on create ({@link checkTopicCap}), `null` removes it. */
export async function updateTopic(deps: Deps, id: string, patch: TopicUpdate): Promise<Topic> {
  const current = await getTopic(deps, id);
  if (patch.frequencyCap) await checkTopicCap(deps, patch.frequencyCap);
  const { frequencyCap, ...rest } = patch;
  const { frequencyCap: oldCap, ...kept } = current;
  const cap = frequencyCap === undefined ? oldCap : (frequencyCap ?? undefined);
  const topic: Topic = { ...kept, ...Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)), ...(cap ? { frequencyCap: cap } : {}), updatedAt: deps.clock().toISOString() };
  if (cap) await noteTopicCaps(deps);
  await deps.catalog.updateTopic(topic);
  return topic;
}

export async function getTopic(deps: Deps, id: string): Promise<Topic> {
  const topic = await deps.catalog.getTopic(id);
  if (!topic) throw new SendwellError('not_found', `No topic ${id}.`);
  return topic;
}

/**
 * Everything that keeps a template from being saved, as error details (empty when it can be saved): the template
 * rules (`validateTemplate`), a topic that must exist, and Sendwell's own mails staying service mail. The one rule
 * behind both `saveTemplate` and the preview.
 */
export async function templateProblems(deps: Deps, input: Omit<TemplateInput, 'id'> & { id?: string | undefined }): Promise<ErrorDetail[]> {
  const { id, ...template } = input;
  const problems = validateTemplate(template);
  if (input.topic && !(await deps.catalog.getTopic(input.topic))) problems.push({ path: 'topic', message: `no topic ${input.topic}; create it first` });
  // Sendwell's own mails are service mail; replacing one with marketing would send marketing without consent.
  if (id !== undefined && SYSTEM_TEMPLATES[id] && input.class !== 'service') {
    problems.push({ path: 'class', message: `${id} replaces a Sendwell mail and must be class "service"` });
  }
  return problems;
}

async function checkTemplate(deps: Deps, input: TemplateInput): Promise<void> {
  const problems = await templateProblems(deps, input);
  if (problems.length > 0) throw new SendwellError('validation_failed', 'The template cannot be saved as it is.', problems);
}

/**
 * A template as a sample recipient would get it, with what would keep it from being saved. Nothing is stored or
 * sent. The unsubscribe and preference links point at the real pages but carry no token: a preview must not hand
 * out a working link for a real person.
 */
export async function previewTemplate(deps: Deps, input: TemplatePreviewInput): Promise<TemplatePreview> {
  const { sample, ...template } = input;
  const problems = await templateProblems(deps, template);
  const attributes = await sampleAttributes(deps, sample);
  const base = deps.settings.publicBaseUrl;
  const rendered = renderTemplate(
    template,
    // As in a campaign: the recipient's own attributes win over the shared data.
    { ...(sample?.data ?? {}), ...attributes },
    {
      unsubscribe_url: `${base}/u/preview`,
      preferences_url: `${base}/p/preview`,
      postal_address: deps.settings.postalAddress,
      confirm_url: `${base}/confirm/preview`,
    },
  );
  return {
    subject: rendered.subject,
    html: rendered.html,
    text: rendered.text,
    problems: problems.map((p) => ({ field: p.path ?? '', message: p.message })),
    missing: [...rendered.missing],
  };
}

/** The sample recipient's attributes: a stored recipient's, by id or address; none for a made-up sample. */
async function sampleAttributes(deps: Deps, sample: TemplatePreviewInput['sample']): Promise<Record<string, unknown>> {
  if (sample?.recipientId) {
    const found = await deps.recipients.get(sample.recipientId);
    if (!found) throw new SendwellError('not_found', `No recipient ${sample.recipientId}.`, [{ path: 'sample.recipientId', message: 'unknown recipient' }]);
    return found.profile.attributes;
  }
  if (sample?.email) {
    const normalized = normalizeEmail(sample.email);
    if (!normalized.ok) throw new SendwellError('validation_failed', 'The sample address is not valid.', [{ path: 'sample.email', message: addressProblem(normalized.reason) }]);
    const id = await deps.recipients.findIdByAddressHash(addressHash(normalized.address, (await deps.keys()).addressPepper));
    return (id && (await deps.recipients.get(id))?.profile.attributes) || {};
  }
  return {};
}

export async function saveTemplate(deps: Deps, input: TemplateInput, mode: 'create' | 'replace'): Promise<TemplateRecord> {
  await checkTemplate(deps, input);
  const now = deps.clock().toISOString();
  const current = mode === 'replace' ? await deps.catalog.getTemplate(input.id) : undefined;
  if (current && (current.class !== input.class || current.topic !== input.topic)) {
    const broken = await campaignsBrokenBy(deps, input);
    if (broken.length) {
      throw new SendwellError(
        'conflict',
        `Template ${input.id} is used by campaign${broken.length > 1 ? 's' : ''} ${broken.join(', ')} (scheduled, sending or paused), which its new class or topic would stop: keep its class and topic, or let those campaigns finish (or cancel them) first.`,
      );
    }
  }
  const createdAt = current?.createdAt ?? now;
  const record: TemplateRecord = { ...input, createdAt, updatedAt: now };
  await deps.catalog.putTemplate(record, mode);
  return record;
}

export async function getTemplate(deps: Deps, id: string): Promise<TemplateRecord> {
  const template = await deps.catalog.getTemplate(id);
  if (!template) throw new SendwellError('not_found', `No template ${id}.`);
  return template;
}
