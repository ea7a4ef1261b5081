import type { TemplateRecord } from '../../lambdas/schemas/model.ts';
import { listCommand, printAnswer, stringOption, type Group } from '../command.ts';
import { readJsonFile } from '../files.ts';


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
        '# news-weekly.json: {"id":"news-weekly","class":"marketing","topic":"news","subject":"News for {{name}}",',
        '#   "html":"…<a href=\\"{{unsubscribe_url}}\\">Unsubscribe</a> {{postal_address}}","text":"… {{unsubscribe_url}} {{postal_address}}"}',
      ],
      async run(ctx) {
        const template = readJsonFile(stringOption(ctx, 'file', true, 'templates create'));
        const created = await (await ctx.client()).request<TemplateRecord>('POST', '/v1/templates', { json: template });
        printAnswer(ctx, created, () => `Created ${created.class} template ${created.id}.\n`);
      },
    },
  },
};
