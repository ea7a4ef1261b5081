import type { Campaign, CampaignInput } from '../../lambdas/schemas/model.ts';
import { listCommand, listOption, printAnswer, stringOption, type Command, type Context, type Group } from '../command.ts';
import { UsageError } from '../errors.ts';
import { campaignProgressLine, count, heldByReason } from '../render.ts';
import { watchCampaign } from '../watch.ts';

const CREATE = 'campaigns create';

/** `+30m`, `+2h`, `+1d` from now, or an ISO date-time (with an offset; a bare date-time is read as UTC). */
export function parseSendAt(raw: string, now: Date = new Date()): string {
  const relative = /^\+(\d+)([mhd])$/.exec(raw);
  if (relative) {
    const unit = { m: 60_000, h: 3_600_000, d: 86_400_000 }[relative[2] as 'm' | 'h' | 'd'];
    return new Date(now.getTime() + Number(relative[1]) * unit).toISOString();
  }
  const iso = /[zZ]|[+-]\d\d:?\d\d$/.test(raw) ? raw : `${raw}Z`;
  const at = Date.parse(iso);
  if (!/^\d{4}-\d\d-\d\dT/.test(raw) || Number.isNaN(at)) throw new UsageError(`--send-at ${raw} is neither an ISO date-time (2026-12-01T09:00:00+01:00) nor +30m / +2h / +1d`);
  return new Date(at).toISOString();
}

/**
 * `k=v` pairs: values are strings; `k:=json` takes a JSON value (`vip:=true`, `score:=3`). With `lists`, a name
 * given twice collects its values into a list (an audience condition matching any of them).
 */
export function parsePairs(pairs: readonly string[], option: string, lists: boolean): Record<string, string | number | boolean | Array<string | number | boolean>> {
  const out: Record<string, string | number | boolean | Array<string | number | boolean>> = {};
  for (const pair of pairs) {
    const m = /^([^=:]+)(:?)=(.*)$/s.exec(pair);
    if (!m) throw new UsageError(`--${option} ${pair}: write name=value (or name:=json for a number or true/false)`);
    const [, name = '', typed, raw = ''] = m;
    let value: string | number | boolean = raw;
    if (typed) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(raw);
      } catch {
        parsed = undefined;
      }
      if (typeof parsed !== 'number' && typeof parsed !== 'boolean' && typeof parsed !== 'string') {
        throw new UsageError(`--${option} ${pair}: after := comes a JSON number, true, false or a "string"`);
      }
      value = parsed;
    }
    const seen = out[name];
    if (seen === undefined) out[name] = value;
    else if (!lists) throw new UsageError(`--${option} ${name} is given twice`);
    else out[name] = [...(Array.isArray(seen) ? seen : [seen]), value];
  }
  return out;
}

/** `90s`, `30m`, `4h`, `1d` (or bare seconds) → seconds. */
export function parseSeconds(raw: string, option: string): number {
  const m = /^(\d+(?:\.\d+)?)([smhd]?)$/.exec(raw);
  if (!m) throw new UsageError(`--${option} ${raw}: a duration such as 90s, 30m, 4h or 1d`, CREATE);
  return Math.round(Number(m[1]) * { '': 1, s: 1, m: 60, h: 3600, d: 86_400 }[m[2] as '' | 's' | 'm' | 'h' | 'd']);
}

/**
 * The A/B test of the create options: `--variant ID:WEIGHT[:TEMPLATE]` (2-5), `--variant-subject ID=TEXT`,
 * `--holdout PCT`, `--test-share PCT` with `--test-metric` and `--decide-after`. The API checks the numbers.
 */
export function abInput(ctx: Pick<Context, 'values'>): Pick<CampaignInput, 'variants' | 'holdout' | 'test'> {
  const subjects = new Map(listOption(ctx, 'variant-subject').map((pair) => {
    const i = pair.indexOf('=');
    if (i < 1) throw new UsageError(`--variant-subject ${pair}: write ID=subject text`, CREATE);
    return [pair.slice(0, i), pair.slice(i + 1)] as const;
  }));
  const variants = listOption(ctx, 'variant').map((raw) => {
    const [id = '', weight = '1', template] = raw.split(':');
    if (!id || !(Number(weight) > 0)) throw new UsageError(`--variant ${raw}: write ID:WEIGHT[:TEMPLATE], e.g. a:1 or b:2:news-bold`, CREATE);
    return { id, weight: Number(weight), ...(template ? { template } : {}), ...(subjects.has(id) ? { subject: subjects.get(id)! } : {}) };
  });
  for (const id of subjects.keys()) if (!variants.some((v) => v.id === id)) throw new UsageError(`--variant-subject ${id}: no --variant ${id}`, CREATE);
  const holdout = stringOption(ctx, 'holdout');
  const share = stringOption(ctx, 'test-share');
  const metric = stringOption(ctx, 'test-metric') ?? 'clicks';
  if (metric !== 'clicks' && metric !== 'humanOpens') throw new UsageError('--test-metric takes `clicks` or `humanOpens`', CREATE);
  const after = stringOption(ctx, 'decide-after');
  if ((after !== undefined || stringOption(ctx, 'test-metric') !== undefined) && share === undefined) throw new UsageError('--test-metric and --decide-after go with --test-share', CREATE);
  return {
    ...(variants.length ? { variants } : {}),
    ...(holdout !== undefined ? { holdout: Number(holdout) } : {}),
    ...(share !== undefined ? { test: { share: Number(share), metric, decideAfterSeconds: parseSeconds(after ?? '4h', 'decide-after') } } : {}),
  };
}

/** The `POST /v1/campaigns` body from the options; the API checks the rest (a service campaign needs `reason`, …). */
export function campaignInput(ctx: Pick<Context, 'values'>, now?: Date): CampaignInput {
  const countries = listOption(ctx, 'country').map((c) => c.toUpperCase());
  const attributes = parsePairs(listOption(ctx, 'attr'), 'attr', true);
  const data = parsePairs(listOption(ctx, 'data'), 'data', false);
  const cls = stringOption(ctx, 'class');
  if (cls !== undefined && cls !== 'marketing' && cls !== 'service') throw new UsageError('--class takes `marketing` or `service`', CREATE);
  const rateRaw = stringOption(ctx, 'rate');
  const rate = rateRaw === undefined ? undefined : Number(rateRaw);
  if (rate !== undefined && !(rate > 0)) throw new UsageError(`--rate ${rateRaw}: mails per second, a number above 0`, CREATE);
  const sendAt = stringOption(ctx, 'send-at');
  const segment = stringOption(ctx, 'segment');
  const localTime = stringOption(ctx, 'local-time');
  if (localTime !== undefined && !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(localTime)) {
    throw new UsageError(`--local-time ${localTime}: a wall-clock time without an offset, e.g. 2026-12-06T09:00`, CREATE);
  }
  if (localTime !== undefined && sendAt !== undefined) throw new UsageError('--local-time is the send time (in each recipient’s zone); leave out --send-at', CREATE);
  const optional = {
    topic: stringOption(ctx, 'topic'),
    class: cls,
    reason: stringOption(ctx, 'reason'),
    audience:
      countries.length || Object.keys(attributes).length || segment
        ? { ...(countries.length ? { countries } : {}), ...(Object.keys(attributes).length ? { attributes } : {}), ...(segment ? { segment } : {}) }
        : undefined,
    data: Object.keys(data).length ? (data as Record<string, string | number | boolean>) : undefined,
    sendAt: localTime !== undefined ? (localTime.length === 16 ? `${localTime}:00` : localTime) : sendAt === undefined ? undefined : parseSendAt(sendAt, now),
    localTime: localTime !== undefined ? true : undefined,
    ratePerSecond: rate,
  };
  return {
    name: stringOption(ctx, 'name', true, CREATE),
    template: stringOption(ctx, 'template', true, CREATE),
    ...Object.fromEntries(Object.entries(optional).filter(([, v]) => v !== undefined)),
    ...abInput(ctx),
  } as CampaignInput;
}

/** A campaign as a few readable lines. */
export function campaignText(c: Campaign): string {
  const lines = [
    `${c.id}  ${c.name}`,
    `  status    ${c.status}${c.pauseReason && c.status === 'paused' ? ` (${c.pauseReason})` : ''}`,
    `  class     ${c.class}${c.topic ? ` · topic ${c.topic}` : ''} · template ${c.template}`,
  ];
  if (c.reason) lines.push(`  reason    ${c.reason}`);
  const audience = [
    c.audience?.countries?.length ? `countries ${c.audience.countries.join(',')}` : '',
    ...Object.entries(c.audience?.attributes ?? {}).map(([k, v]) => `${k}=${String(v)}`),
    c.audience?.segment ? `segment ${c.audience.segment}` : '',
  ].filter(Boolean);
  if (audience.length) lines.push(`  audience  ${audience.join(' · ')}`);
  if (c.sendAt) lines.push(`  send at   ${c.sendAt}${c.localTime ? ' in each recipient’s time zone' : ''}`);
  if (c.ratePerSecond) lines.push(`  rate      at most ${c.ratePerSecond}/s`);
  for (const v of c.variants ?? []) {
    const sent = c.progress.variants?.find((x) => x.id === v.id)?.sent;
    const what = [v.template ? `template ${v.template}` : '', v.subject ? `subject "${v.subject}"` : ''].filter(Boolean).join(' · ');
    lines.push(`  variant   ${v.id} weight ${v.weight}${what ? ` · ${what}` : ''}${sent !== undefined && c.status !== 'draft' ? ` · ${count(sent)} sent` : ''}${c.decision?.variant === v.id ? ' · winner' : ''}`);
  }
  if (c.holdout !== undefined) lines.push(`  holdout   ${c.holdout} %${c.progress.holdout !== undefined && c.status !== 'draft' ? ` (${count(c.progress.holdout)} held out)` : ''}`);
  if (c.test) lines.push(`  test      ${c.test.share} % first, winner on ${c.test.metric} after ${c.test.decideAfterSeconds} s`);
  if (c.decision) lines.push(`  winner    ${c.decision.variant} (${c.decision.reason}) at ${c.decision.at}`);
  lines.push(`  created   ${c.createdAt} by ${c.createdBy}`);
  if (c.launchedAt) lines.push(`  launched  ${c.launchedAt}${c.launchedBy ? ` by ${c.launchedBy}` : ''}`);
  if (c.completedAt) lines.push(`  completed ${c.completedAt}`);
  if (c.cancelledAt) lines.push(`  cancelled ${c.cancelledAt}${c.cancelledBy ? ` by ${c.cancelledBy}` : ''}`);
  if (c.status !== 'draft' && c.status !== 'scheduled') {
    lines.push(`  progress  ${campaignProgressLine(c, { bar: false })}`);
    const held = heldByReason(c.progress.held);
    if (held) lines.push(`  held      ${held}`);
  }
  return `${lines.join('\n')}\n`;
}

const idPath = (ctx: Context) => `/v1/campaigns/${encodeURIComponent(ctx.args[0] ?? '')}`;

/** launch / pause / resume / cancel: a POST without a body that answers with the campaign. */
function action(verb: 'launch' | 'pause' | 'resume' | 'cancel', summary: string, done: string): Command {
  return {
    summary,
    args: ['ID'],
    examples: [`sendwell campaigns ${verb} cmp_123`],
    async run(ctx) {
      const c = await (await ctx.client()).request<Campaign>('POST', `${idPath(ctx)}/${verb}`);
      printAnswer(ctx, c, () => `Campaign ${c.id} ${done}; status ${c.status}.\n`);
    },
  };
}

export const campaigns: Group = {
  summary: 'Campaigns: create, launch, pause, watch progress',
  commands: {
    list: listCommand<Campaign>({
      summary: 'List campaigns, newest first',
      path: '/v1/campaigns',
      field: 'campaigns',
      examples: ['sendwell campaigns list', 'sendwell campaigns list --json'],
      empty: 'No campaigns yet. Create one with `sendwell campaigns create --name … --template …`.',
      header: ['ID', 'STATUS', 'CLASS', 'SENT', 'TARGETED', 'CREATED', 'NAME'],
      row: (c) => [c.id, c.status, c.class, count(c.progress.sent), count(c.progress.targeted), c.createdAt.slice(0, 16).replace('T', ' '), c.name],
    }),
    get: {
      summary: 'One campaign with its progress',
      args: ['ID'],
      examples: ['sendwell campaigns get cmp_123', 'sendwell campaigns get cmp_123 --json'],
      async run(ctx) {
        const c = await (await ctx.client()).request<Campaign>('GET', idPath(ctx));
        printAnswer(ctx, c, () => campaignText(c));
      },
    },
    create: {
      summary: 'Create a draft campaign',
      options: {
        name: { type: 'string', value: 'TEXT', help: 'name (required)' },
        template: { type: 'string', value: 'ID', help: 'template id (required)' },
        topic: { type: 'string', value: 'ID', help: "marketing: whose subscribers get it (default: the template's topic)" },
        class: { type: 'string', value: 'marketing|service', help: 'follows the template; a service (mandatory) broadcast needs --reason' },
        reason: { type: 'string', value: 'TEXT', help: 'why a service broadcast goes to everyone (recorded with its launch)' },
        country: { type: 'string', multiple: true, value: 'CC[,CC]', help: 'only recipients in these countries' },
        attr: { type: 'string', multiple: true, value: 'K=V', help: 'only recipients whose attribute K is V (K:=json for numbers, true/false; K twice: any of)' },
        data: { type: 'string', multiple: true, value: 'K=V', help: 'template variable for every mail (a recipient attribute of the same name wins)' },
        'send-at': { type: 'string', value: 'TIME', help: 'when `schedule` launches it: ISO date-time, or +30m / +2h / +1d' },
        segment: { type: 'string', value: 'ID', help: 'only recipients in this segment (`sendwell segments list`)' },
        'local-time': { type: 'string', value: 'YYYY-MM-DDTHH:MM', help: 'deliver at this wall-clock time in each recipient’s own time zone' },
        rate: { type: 'string', value: 'N', help: 'at most N mails per second' },
        variant: { type: 'string', multiple: true, value: 'ID:WEIGHT[:TEMPLATE]', help: 'A/B test: a variant (2-5), its own template optional' },
        'variant-subject': { type: 'string', multiple: true, value: 'ID=TEXT', help: 'A/B test: the subject of variant ID instead of the template’s' },
        holdout: { type: 'string', value: 'PCT', help: 'A/B test: this percent of the audience gets nothing' },
        'test-share': { type: 'string', value: 'PCT', help: 'A/B test: this percent gets the variants first, the rest the winner' },
        'test-metric': { type: 'string', value: 'clicks|humanOpens', help: 'what the winner has most of, per delivered mail (default clicks)' },
        'decide-after': { type: 'string', value: 'DURATION', help: 'when the winner is picked after the launch: 30m, 4h, 1d (default 4h)' },
      },
      examples: [
        'sendwell campaigns create --name "November news" --template news-weekly --topic news --country DE,AT --attr plan=pro --rate 20',
        'sendwell campaigns create --name "Privacy policy 2027" --template policy-notice --class service --reason "Material change to the privacy policy, effective 1 Jan"',
        'sendwell campaigns create --name "Subject test" --template news-weekly --variant a:1 --variant b:1 --variant-subject b="20 % off this week" --holdout 10 --test-share 30 --decide-after 4h',
      ],
      async run(ctx) {
        const input = campaignInput(ctx);
        const c = await (await ctx.client()).request<Campaign>('POST', '/v1/campaigns', { json: input });
        printAnswer(ctx, c, () => `Created campaign ${c.id} (${c.status}). Send a test with \`sendwell campaigns test ${c.id} --to you@example.com\`, then \`sendwell campaigns launch ${c.id}\`.\n`);
      },
    },
    test: {
      summary: 'Send the campaign to a few addresses (up to 10), subject marked [Test]',
      args: ['ID'],
      options: { to: { type: 'string', multiple: true, value: 'ADDR[,ADDR]', help: 'addresses to send the test to (required)' } },
      examples: ['sendwell campaigns test cmp_123 --to anna@example.com,ben@example.com'],
      async run(ctx) {
        const to = listOption(ctx, 'to');
        if (to.length === 0) throw new UsageError('--to is required', 'campaigns test');
        const answer = await (await ctx.client()).request<unknown>('POST', `${idPath(ctx)}/test`, { json: { to } });
        printAnswer(ctx, answer, () => `Test of ${ctx.args[0]} sent to ${to.length} address${to.length === 1 ? '' : 'es'}.\n`);
      },
    },
    schedule: {
      summary: 'Arm a draft to launch at its send time (or at --send-at)',
      args: ['ID'],
      options: { 'send-at': { type: 'string', value: 'TIME', help: 'ISO date-time or +30m / +2h / +1d (default: the send time given at create)' } },
      examples: ['sendwell campaigns schedule cmp_123 --send-at 2026-12-01T09:00:00+01:00', 'sendwell campaigns schedule cmp_123 --send-at +2h'],
      async run(ctx) {
        const sendAt = stringOption(ctx, 'send-at');
        const body = sendAt === undefined ? {} : { sendAt: parseSendAt(sendAt) };
        const c = await (await ctx.client()).request<Campaign>('POST', `${idPath(ctx)}/schedule`, { json: body });
        printAnswer(ctx, c, () => `Campaign ${c.id} scheduled for ${c.sendAt ?? 'its send time'}; status ${c.status}.\n`);
      },
    },
    winner: {
      summary: 'Pick the winner of an A/B test before its time; the rest of the audience gets it',
      args: ['ID'],
      options: { variant: { type: 'string', value: 'ID', help: 'the winning variant (required)' } },
      examples: ['sendwell campaigns winner cmp_123 --variant b'],
      async run(ctx) {
        const variant = stringOption(ctx, 'variant', true, 'campaigns winner');
        const c = await (await ctx.client()).request<Campaign>('POST', `${idPath(ctx)}/winner`, { json: { variant } });
        printAnswer(ctx, c, () => `Campaign ${c.id}: variant ${c.decision?.variant ?? variant} wins; the rest of the audience gets it.\n`);
      },
    },
    launch: action('launch', 'Launch now (a draft or a scheduled campaign)', 'launched'),
    pause: action('pause', 'Pause sending; nothing more goes out until resume', 'paused'),
    resume: action('resume', 'Resume a paused campaign where it stopped', 'resumed'),
    cancel: action('cancel', 'Cancel for good; what was sent stays sent', 'cancelled'),
    watch: {
      summary: 'Follow progress until the campaign completes, pauses or is cancelled (Ctrl-C stops watching, not the campaign)',
      args: ['ID'],
      options: { interval: { type: 'string', value: 'SECONDS', help: 'seconds between polls (default 2)' } },
      examples: ['sendwell campaigns watch cmp_123', 'sendwell campaigns watch cmp_123 --json   # one JSON document per poll'],
      async run(ctx) {
        const raw = stringOption(ctx, 'interval');
        const seconds = raw === undefined ? 2 : Number(raw);
        if (!(seconds >= 0.01 && seconds <= 3600)) throw new UsageError(`--interval ${raw}: seconds between polls, 0.01 to 3600`, 'campaigns watch');
        return watchCampaign({ client: await ctx.client(), id: ctx.args[0] ?? '', io: ctx.io, intervalMs: seconds * 1000, json: ctx.json });
      },
    },
  },
};
