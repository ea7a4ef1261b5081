import type { TemplateRecord } from '../../lambdas/schemas/model.ts';
import { listCommand, printAnswer, stringOption, type Group } from '../command.ts';
import { readJsonFile } from '../files.ts';
import { ApiError, CliError } from '../errors.ts';


export const templates: Group = {
  summary: 'Mail templates (service or marketing)',
  commands: {
    list: listCommand<TemplateRecord>({
      summary: 'List every stored template',
      path: '/v1/templates',
      field: 'templates',
      examples: ['sendwell templates list', 'sendwell templates list --json'],
      empty: 'No templates yet. Create one with `sendwell templates create --file tpl.json`.',
      header: ['ID', 'CLASS', 'TOPIC', 'SUBJECT'],
      row: (t) => [t.id, t.class, t.topic ?? '-', t.subject],
    }),
    create: {
      summary: 'Create a template from a JSON file {id, class, topic?, subject, html, text}',
      options: { file: { type: 'string', short: 'f', value: 'FILE', help: 'the template as JSON (required)' } },
      examples: [
        'sendwell templates create --file news-weekly.json',
        '# news-weekly.json: {"id":"news-weekly","class":"marketing","topic":"news","subject":"News for {{first_name}}",',
        '#   "html":"…<a href=\\"{{unsubscribe_url}}\\">Unsubscribe</a> {{postal_address}}","text":"… {{unsubscribe_url}} {{postal_address}}"}',
      ],
      async run(ctx) {
        const file = stringOption(ctx, 'file', true, 'templates create');
        const template = readJsonFile(file);
        const created = await (await ctx.client())
          .request<TemplateRecord>('POST', '/v1/templates', { json: template })
          .catch((e: unknown) => {
            if (e instanceof ApiError && e.status === 409) throw new CliError(`${e.message}\n\`sendwell templates update --file ${file}\` replaces it.`);
            throw e;
          });
        printAnswer(ctx, created, () => `Created ${created.class} template ${created.id}.\n`);
      },
    },
    update: {
      summary: 'Replace a stored template with a JSON file {id, class, topic?, subject, html, text} (PUT /v1/templates/{id})',
      options: { file: { type: 'string', short: 'f', value: 'FILE', help: 'the template as JSON, its id the one to replace (required)' } },
      examples: ['sendwell templates update --file news-weekly.json'],
      async run(ctx) {
        const file = stringOption(ctx, 'file', true, 'templates update');
        const json = readJsonFile(file);
        const id = (json as { id?: unknown } | null)?.id;
        if (typeof id !== 'string' || !id) throw new CliError(`${file} names no template: it needs an "id", the template to replace.`);
        // What `GET` answers may be sent back as it is: the API sets these two itself and refuses them in a body.
        const { createdAt: _c, updatedAt: _u, ...template } = json as Record<string, unknown>;
        const updated = await (await ctx.client()).request<TemplateRecord>('PUT', `/v1/templates/${encodeURIComponent(id)}`, { json: template });
        printAnswer(ctx, updated, () => `Replaced ${updated.class} template ${updated.id}.\n`);
      },
    },
  },
};
