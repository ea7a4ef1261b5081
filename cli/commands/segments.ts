import type { Segment } from '../../lambdas/schemas/model.ts';
import type { CampaignPreview } from '../../lambdas/schemas/previews.ts';
import { listCommand, printAnswer, stringOption, type Group } from '../command.ts';
import { UsageError } from '../errors.ts';
import { parseJson, readText } from '../files.ts';
import { count, heldByReason } from '../render.ts';

/** Rules from `--rules '{"all":[…]}'` or `--rules-file rules.json`. */
function readRules(inline: string | undefined, file: string | undefined, path: string): unknown {
  if ((inline === undefined) === (file === undefined)) throw new UsageError('give the rules with --rules JSON or --rules-file FILE (one of them)', path);
  return parseJson(file !== undefined ? readText(file) : inline!, 'The rules');
}

const rulesOptions = {
  rules: { type: 'string', value: 'JSON', help: 'the rules: {"all":[{"field":"country","op":"in","value":["DE","AT"]}, …]} (or --rules-file)' },
  'rules-file': { type: 'string', value: 'FILE', help: 'the rules as a JSON file' },
} as const;

/** `1,234 in the segment of 5,000 subscribers: 1,100 would get it now, 30 deferred (quiet hours), held: …` */
export function previewLine(p: CampaignPreview): string {
  const held = Object.values(p.held).reduce((a, b) => a + (b ?? 0), 0);
  return (
    `${count(p.audience - p.excluded)} in the segment of ${count(p.audience)} subscribers: ${count(p.eligible)} would get it now` +
    (p.deferred ? `, ${count(p.deferred)} deferred (quiet hours)` : '') +
    (held ? `, held ${count(held)} (${heldByReason(p.held)})` : '') +
    (p.complete ? '.' : ' (counted from a sample: at least these).')
  );
}

export const segments: Group = {
  summary: 'Segments: rules that narrow a campaign’s audience',
  commands: {
    list: listCommand<Segment>({
      summary: 'List every segment',
      path: '/v1/segments',
      field: 'segments',
      examples: ['sendwell segments list', 'sendwell segments list --json'],
      empty: 'No segments yet. Create one with `sendwell segments create --id dach --name "DACH" --rules \'{"all":[…]}\'`.',
      header: ['ID', 'NAME', 'UPDATED'],
      row: (s) => [s.id, s.name, s.updatedAt.slice(0, 16).replace('T', ' ')],
    }),
    create: {
      summary: 'Create a segment {id, name, rules}',
      options: {
        id: { type: 'string', value: 'ID', help: 'lower-case letters, digits, - and _ (required)' },
        name: { type: 'string', value: 'NAME', help: 'what people call it (required)' },
        description: { type: 'string', value: 'TEXT', help: 'optional' },
        ...rulesOptions,
      },
      examples: [
        `sendwell segments create --id dach-pros --name "DACH pros" --rules '{"all":[{"field":"country","op":"in","value":["DE","AT","CH"]},{"field":"attributes.plan","op":"eq","value":"pro"}]}'`,
        'sendwell segments create --id active --name "Opened lately" --rules-file active.json',
      ],
      async run(ctx) {
        const path = 'segments create';
        const body = {
          id: stringOption(ctx, 'id', true, path),
          name: stringOption(ctx, 'name', true, path),
          ...(stringOption(ctx, 'description') ? { description: stringOption(ctx, 'description') } : {}),
          rules: readRules(stringOption(ctx, 'rules'), stringOption(ctx, 'rules-file'), path),
        };
        const created = await (await ctx.client()).request<Segment>('POST', '/v1/segments', { json: body });
        printAnswer(ctx, created, () => `Created segment ${created.id} (${created.name}).\n`);
      },
    },
    update: {
      summary: 'Replace a segment’s name and rules',
      options: {
        id: { type: 'string', value: 'ID', help: 'the segment (required)' },
        name: { type: 'string', value: 'NAME', help: 'required' },
        description: { type: 'string', value: 'TEXT', help: 'optional' },
        ...rulesOptions,
      },
      examples: ['sendwell segments update --id dach-pros --name "DACH pros" --rules-file dach.json'],
      async run(ctx) {
        const path = 'segments update';
        const id = stringOption(ctx, 'id', true, path);
        const body = {
          name: stringOption(ctx, 'name', true, path),
          ...(stringOption(ctx, 'description') ? { description: stringOption(ctx, 'description') } : {}),
          rules: readRules(stringOption(ctx, 'rules'), stringOption(ctx, 'rules-file'), path),
        };
        const updated = await (await ctx.client()).request<Segment>('PUT', `/v1/segments/${encodeURIComponent(id)}`, { json: body });
        printAnswer(ctx, updated, () => `Updated segment ${updated.id}.\n`);
      },
    },
    preview: {
      summary: 'Count who a segment selects among a topic’s subscribers, and what the send rule would do now',
      options: {
        id: { type: 'string', value: 'ID', help: 'a stored segment (or give --rules / --rules-file to count rules not saved)' },
        topic: { type: 'string', value: 'TOPIC', help: 'the topic whose subscribers it narrows (required)' },
        ...rulesOptions,
      },
      examples: ['sendwell segments preview --id dach-pros --topic news', `sendwell segments preview --topic news --rules '{"any":[{"field":"lastOpenedAt","op":"withinDays","value":30}]}'`],
      async run(ctx) {
        const path = 'segments preview';
        const topic = stringOption(ctx, 'topic', true, path);
        const id = stringOption(ctx, 'id');
        const client = await ctx.client();
        const p =
          id !== undefined
            ? await client.request<CampaignPreview>('GET', `/v1/segments/${encodeURIComponent(id)}/preview?topic=${encodeURIComponent(topic)}`)
            : await client.request<CampaignPreview>('POST', '/v1/segments/preview', { json: { topic, rules: readRules(stringOption(ctx, 'rules'), stringOption(ctx, 'rules-file'), path) } });
        printAnswer(ctx, p, () => `${previewLine(p)}\n`);
      },
    },
    delete: {
      summary: 'Delete a segment (campaigns already launched keep the rules they read)',
      options: { id: { type: 'string', value: 'ID', help: 'the segment (required)' } },
      examples: ['sendwell segments delete --id dach-pros'],
      async run(ctx) {
        const id = stringOption(ctx, 'id', true, 'segments delete');
        const r = await (await ctx.client()).request<{ id: string }>('DELETE', `/v1/segments/${encodeURIComponent(id)}`);
        printAnswer(ctx, r, () => `Deleted segment ${id}.\n`);
      },
    },
  },
};
