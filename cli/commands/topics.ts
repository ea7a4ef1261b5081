import type { Topic } from '../../lambdas/schemas/model.ts';
import { listCommand, printAnswer, stringOption, type Group } from '../command.ts';

export const topics: Group = {
  summary: 'Marketing topics people opt in to',
  commands: {
    list: listCommand<Topic>({
      summary: 'List every topic',
      path: '/v1/topics',
      field: 'topics',
      examples: ['sendwell topics list', 'sendwell topics list --json'],
      empty: 'No topics yet. Create one with `sendwell topics create --id news --name "Weekly news"`.',
      header: ['ID', 'NAME', 'DOUBLE OPT-IN', 'DESCRIPTION'],
      row: (t) => [t.id, t.name, t.doubleOptIn ? 'yes' : 'no', t.description],
    }),
    create: {
      summary: 'Create a topic',
      options: {
        id: { type: 'string', value: 'SLUG', help: 'topic id: lower-case letters, digits, - and _ (required)' },
        name: { type: 'string', value: 'TEXT', help: 'name shown on the preference page (required)' },
        description: { type: 'string', value: 'TEXT', help: 'one or two sentences for the preference page' },
        'double-opt-in': { type: 'boolean', help: 'require confirmation from everyone, not only where the law requires it' },
      },
      examples: ['sendwell topics create --id news --name "Weekly news" --description "What is new, once a week"'],
      async run(ctx) {
        const body = {
          id: stringOption(ctx, 'id', true, 'topics create'),
          name: stringOption(ctx, 'name', true, 'topics create'),
          description: stringOption(ctx, 'description') ?? '',
          ...(ctx.values['double-opt-in'] ? { doubleOptIn: true } : {}),
        };
        const topic = await (await ctx.client()).request<Topic>('POST', '/v1/topics', { json: body });
        printAnswer(ctx, topic, () => `Created topic ${topic.id} (${topic.name}).\n`);
      },
    },
  },
};
