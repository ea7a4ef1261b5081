import type { JourneyFigures } from '../../lambdas/domain/journeys.ts';
import { WELCOME_JOURNEY } from '../../lambdas/domain/welcome-journey.ts';
import type { EventResult, Journey } from '../../lambdas/schemas/journeys.ts';
import { listCommand, printAnswer, stringOption, type Command, type Group } from '../command.ts';
import { parseJson, readJsonFile } from '../files.ts';
import { count, heldByReason } from '../render.ts';

export type WithFigures = Journey & { figures: JourneyFigures };

/** `hello: entered 120, sent 118, held 2 (opted out 2)` per step, after the journey's totals. */
export function figuresText(j: WithFigures): string {
  const f = j.figures;
  const lines = [`${j.id} (${j.name}): ${j.status}; enrolled ${count(f.enrolled)}, completed ${count(f.completed)}, left early ${count(f.exited)}`];
  for (const s of j.steps) {
    const x = f.steps[s.id];
    if (!x) continue;
    const held = Object.values(x.held).reduce((a, b) => a + b, 0);
    const kind = s.send ? `sent ${count(x.sent)}${x.deferred ? `, deferred ${count(x.deferred)}` : ''}${held ? `, held ${count(held)} (${heldByReason(x.held)})` : ''}` : s.wait ? `waiting ${count(x.waiting)}` : 'branch';
    lines.push(`  ${s.id}: entered ${count(x.entered)}, ${kind}${x.exited ? `, left here ${count(x.exited)}` : ''}`);
  }
  return `${lines.join('\n')}\n`;
}


const action = (verb: 'activate' | 'pause' | 'archive', summary: string): Command => ({
  summary,
  options: { id: { type: 'string', value: 'ID', help: 'the journey (required)' } },
  examples: [`sendwell journeys ${verb} --id onboarding`],
  async run(ctx) {
    const id = stringOption(ctx, 'id', true, `journeys ${verb}`);
    const j = await (await ctx.client()).request<WithFigures>('POST', `/v1/journeys/${encodeURIComponent(id)}/${verb}`);
    printAnswer(ctx, j, () => `Journey ${j.id} is ${j.status}.\n`);
  },
});

export const journeys: Group = {
  summary: 'Journeys: triggered sequences of sends, waits and branches; events that start and end them',
  commands: {
    list: listCommand<Journey>({
      summary: 'List journeys',
      path: '/v1/journeys?limit=100',
      field: 'journeys',
      examples: ['sendwell journeys list'],
      empty: 'No journeys yet. Start with `sendwell journeys welcome`, or `sendwell journeys create --file journey.json`.',
      header: ['ID', 'NAME', 'STATUS', 'STEPS'],
      row: (j) => [j.id, j.name, j.status, String(j.steps.length)],
    }),
    create: {
      summary: 'Create a journey (draft) from a JSON file {id, name, trigger, steps, exitOn?, reentry?}',
      options: { file: { type: 'string', value: 'FILE', help: 'the journey as JSON (required; docs/journeys.md)' } },
      examples: ['sendwell journeys create --file onboarding.json'],
      async run(ctx) {
        const body = readJsonFile(stringOption(ctx, 'file', true, 'journeys create'));
        const j = await (await ctx.client()).request<Journey>('POST', '/v1/journeys', { json: body });
        printAnswer(ctx, j, () => `Created journey ${j.id} (${j.status}); activate it with \`sendwell journeys activate --id ${j.id}\`.\n`);
      },
    },
    welcome: {
      summary: 'Create the default welcome journey: the sign-up welcome mail as its first step, for every new recipient',
      examples: ['sendwell journeys welcome && sendwell journeys activate --id welcome'],
      async run(ctx) {
        const j = await (await ctx.client()).request<Journey>('POST', '/v1/journeys', { json: WELCOME_JOURNEY });
        printAnswer(ctx, j, () => `Created journey ${j.id} (${j.status}): new recipients get the welcome mail as its first step once it is active.\n`);
      },
    },
    show: {
      summary: 'A journey and its figures per step',
      options: { id: { type: 'string', value: 'ID', help: 'the journey (required)' } },
      examples: ['sendwell journeys show --id onboarding'],
      async run(ctx) {
        const id = stringOption(ctx, 'id', true, 'journeys show');
        const j = await (await ctx.client()).request<WithFigures>('GET', `/v1/journeys/${encodeURIComponent(id)}`);
        printAnswer(ctx, j, () => figuresText(j));
      },
    },
    activate: action('activate', 'Activate a draft or paused journey'),
    pause: action('pause', 'Pause a journey: it enrols nobody, everyone in it waits where they are'),
    archive: action('archive', 'Archive a journey for good'),
    event: {
      summary: 'Post an event about a recipient (it starts the journeys it triggers, ends those that exit on it)',
      options: {
        name: { type: 'string', value: 'NAME', help: 'the event (required)' },
        recipient: { type: 'string', value: 'ID', help: 'the recipient id (or --email)' },
        email: { type: 'string', value: 'ADDRESS', help: 'the recipient’s address (or --recipient)' },
        properties: { type: 'string', value: 'JSON', help: 'template data for the journey’s mails, e.g. {"plan":"pro"}' },
        key: { type: 'string', value: 'KEY', help: 'idempotency key: the same key again does nothing' },
      },
      examples: ['sendwell journeys event --name signed-up --email jane@example.com --key signup-8812'],
      async run(ctx) {
        const path = 'journeys event';
        const props = stringOption(ctx, 'properties');
        const properties = props !== undefined ? parseJson(props, '--properties') : undefined;
        const body = {
          name: stringOption(ctx, 'name', true, path),
          ...(stringOption(ctx, 'recipient') ? { recipientId: stringOption(ctx, 'recipient') } : {}),
          ...(stringOption(ctx, 'email') ? { email: stringOption(ctx, 'email') } : {}),
          ...(properties !== undefined ? { properties } : {}),
          ...(stringOption(ctx, 'key') ? { idempotencyKey: stringOption(ctx, 'key') } : {}),
        };
        const r = await (await ctx.client()).request<EventResult>('POST', '/v1/events', { json: body });
        printAnswer(ctx, r, () =>
          r.duplicate ? `Event ${r.id} was posted before: nothing done again.\n` : `Event ${r.id}: enrolled in ${r.enrolled.length ? r.enrolled.join(', ') : 'no journey'}${r.exited?.length ? `; left ${r.exited.join(', ')}` : ''}.\n`,
        );
      },
    },
  },
};
