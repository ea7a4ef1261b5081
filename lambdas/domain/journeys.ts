/**
 * Journeys: a trigger enrols a recipient, who then walks a list of steps — send a template, wait (a while, or until a
 * wall-clock time in their own zone), branch on a segment rule or on whether they opened or clicked an earlier step's
 * mail (human only). The definition and its checks are pure; where a recipient is and what happened to them is kept
 * by lambdas/services/journeys.ts.
 */
import * as z from 'zod';
import { SegmentConditionSchema, SegmentRuleSchema, type SegmentNode } from './segments.ts';
import { parseClock, wallTime, zonedInstant } from './time-zones.ts';

/** Step ids, event names and journey ids: what a URL path and a DynamoDB attribute name take without escaping. */
const NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const NAME_HINT = 'use 1-64 lower-case letters, digits, "-" or "_", starting with a letter or digit';
export const JourneyIdSchema = z.string().regex(NAME, NAME_HINT);
export const StepIdSchema = z.string().regex(NAME, NAME_HINT).refine((s) => s !== 'end', '"end" is not a step id: it names the end of the journey');
export const EventNameSchema = z.string().regex(/^[a-z0-9][a-z0-9_.:-]{0,63}$/, 'use 1-64 lower-case letters, digits, "-", "_", "." or ":"');

/** The longest wait one step may take (a year). */
export const MAX_WAIT_SECONDS = 366 * 86_400;
export const MAX_STEPS = 50;

const NextSchema = z.string().regex(/^(?:end|[a-z0-9][a-z0-9_-]{0,63})$/, 'a step id, or "end"');

export const EngagementConditionSchema = z.union([
  z.object({ opened: StepIdSchema.meta({ description: 'A send step: holds when its mail to this recipient had a human open.' }) }).strict(),
  z.object({ clicked: StepIdSchema.meta({ description: 'A send step: holds when its mail to this recipient had a human click.' }) }).strict(),
]);

export const BranchConditionSchema = z
  .union([EngagementConditionSchema, SegmentConditionSchema, SegmentRuleSchema])
  .meta({
    id: 'JourneyCondition',
    description: 'A segment rule (`{all|any: [...]}` or one condition `{field, op, value}`), or `{opened: stepId}` / `{clicked: stepId}` (human opens and clicks only).',
  });
export type BranchCondition = z.infer<typeof BranchConditionSchema>;

const WaitSchema = z.union([
  z.object({ seconds: z.number().int().min(1).max(MAX_WAIT_SECONDS) }).strict(),
  z
    .object({ untilLocalTime: z.string().refine((s) => parseClock(s) !== undefined, 'use HH:MM, 00:00-23:59').meta({ description: 'The next time the recipient’s own clock shows HH:MM.' }) })
    .strict(),
]);

export const JourneyStepSchema = z
  .object({
    id: StepIdSchema,
    send: z.object({ template: z.string().regex(NAME, NAME_HINT) }).strict().optional(),
    wait: WaitSchema.optional(),
    branch: z.object({ if: BranchConditionSchema, then: NextSchema, else: NextSchema }).strict().optional(),
    next: NextSchema.optional().meta({ description: 'Where to go after this step (a step id, or "end"); default the following step. Not on a branch.' }),
  })
  .strict()
  .superRefine((s, ctx) => {
    const kinds = (['send', 'wait', 'branch'] as const).filter((k) => s[k] !== undefined);
    if (kinds.length !== 1) ctx.addIssue({ code: 'custom', path: [], message: 'a step is exactly one of send, wait or branch' });
    if (s.branch && s.next !== undefined) ctx.addIssue({ code: 'custom', path: ['next'], message: 'a branch goes to its then or else, not to next' });
  })
  .meta({ id: 'JourneyStep' });
export type JourneyStep = z.infer<typeof JourneyStepSchema>;

export const JourneyTriggerSchema = z
  .object({
    event: EventNameSchema.optional().meta({ description: 'An event of this name (`POST /v1/events`).' }),
    optedIn: z.string().regex(NAME, NAME_HINT).optional().meta({ description: 'The recipient’s opt-in to this topic becomes effective (confirmed where double opt-in applies).' }),
    recipientCreated: z.literal(true).optional().meta({ description: 'A new recipient is created through the API (not by a bulk import).' }),
  })
  .strict()
  .refine((t) => [t.event, t.optedIn, t.recipientCreated].filter((v) => v !== undefined).length === 1, 'a trigger is exactly one of event, optedIn or recipientCreated')
  .meta({ id: 'JourneyTrigger' });
export type JourneyTrigger = z.infer<typeof JourneyTriggerSchema>;

export const ExitOnSchema = z
  .array(z.union([z.literal('unsubscribed'), EventNameSchema]))
  .max(20)
  .meta({ description: '`unsubscribed` (the person unsubscribed from all marketing or from a topic this journey mails about: they leave at their next step) and event names (they leave when it is posted). Default `["unsubscribed"]`; `[]` keeps everyone in, and the send rule holds each marketing step.' });

export const JourneyDefinitionSchema = z
  .object({
    name: z.string().min(1).max(200),
    description: z.string().max(1000).optional(),
    trigger: JourneyTriggerSchema,
    steps: z.array(JourneyStepSchema).min(1).max(MAX_STEPS),
    exitOn: ExitOnSchema.default(['unsubscribed']),
    reentry: z.enum(['never', 'afterExit']).default('never').meta({ description: '`never`: once per recipient. `afterExit`: again once they finished or left.' }),
  })
  .strict();

export const JourneyInputSchema = JourneyDefinitionSchema.extend({ id: JourneyIdSchema }).strict().meta({ id: 'JourneyInput' });
export type JourneyInput = z.infer<typeof JourneyInputSchema>;
export const JourneyUpdateSchema = JourneyDefinitionSchema.meta({ id: 'JourneyUpdate' });
export type JourneyUpdate = z.infer<typeof JourneyUpdateSchema>;

export const JOURNEY_STATUSES = ['draft', 'active', 'paused', 'archived'] as const;
export type JourneyStatus = (typeof JOURNEY_STATUSES)[number];

export interface GraphProblem {
  readonly path: string;
  readonly message: string;
}

/** Where a step leads: its `next`, else the following step, else the end. A branch leads to both its arms. */
export function successors(steps: readonly JourneyStep[], index: number): string[] {
  const s = steps[index]!;
  if (s.branch) return [s.branch.then, s.branch.else];
  return [nextOf(steps, index)];
}

/** The step after a send or wait step (`"end"` after the last one). */
export function nextOf(steps: readonly JourneyStep[], index: number): string {
  const s = steps[index]!;
  return s.next ?? steps[index + 1]?.id ?? 'end';
}

/**
 * Everything wrong with a journey's step graph, each naming its field: duplicate ids, a `next`/`then`/`else` or an
 * `opened`/`clicked` that names no (send) step, and loops with no wait in them (they would send without end).
 *
 * @example
 * graphProblems([{ id: 'a', send: { template: 't' }, next: 'a' }]) // [{ path: 'steps.0.next', message: 'a loop without a wait: a → a' }]
 */
export function graphProblems(steps: readonly JourneyStep[]): GraphProblem[] {
  const problems: GraphProblem[] = [];
  const index = new Map<string, number>();
  steps.forEach((s, i) => {
    if (index.has(s.id)) problems.push({ path: `steps.${i}.id`, message: `duplicate step id ${s.id}` });
    else index.set(s.id, i);
  });
  const known = (id: string) => id === 'end' || index.has(id);
  steps.forEach((s, i) => {
    if (s.next !== undefined && !known(s.next)) problems.push({ path: `steps.${i}.next`, message: `no step ${s.next}` });
    if (s.branch) {
      for (const arm of ['then', 'else'] as const) if (!known(s.branch[arm])) problems.push({ path: `steps.${i}.branch.${arm}`, message: `no step ${s.branch[arm]}` });
      const c = s.branch.if as Record<string, unknown>;
      for (const k of ['opened', 'clicked'] as const) {
        if (typeof c[k] !== 'string') continue;
        const target = index.get(c[k] as string);
        if (target === undefined || !steps[target]!.send) problems.push({ path: `steps.${i}.branch.if.${k}`, message: `no send step ${String(c[k])}` });
      }
    }
  });
  if (problems.length) return problems;
  // A loop is fine only through a wait: walk the graph without wait steps and look for a cycle.
  const state = new Map<string, 'open' | 'done'>();
  const visit = (id: string, trail: string[]): GraphProblem | undefined => {
    if (id === 'end') return undefined;
    const i = index.get(id)!;
    if (steps[i]!.wait) return undefined;
    if (state.get(id) === 'done') return undefined;
    if (state.get(id) === 'open') {
      const from = trail[trail.length - 1]!;
      const fi = index.get(from)!;
      const field = steps[fi]!.branch ? (steps[fi]!.branch!.then === id ? 'branch.then' : 'branch.else') : 'next';
      return { path: `steps.${fi}.${field}`, message: `a loop without a wait: ${[...trail.slice(trail.indexOf(id)), id].join(' → ')}` };
    }
    state.set(id, 'open');
    for (const n of successors(steps, i)) {
      const p = visit(n, [...trail, id]);
      if (p) return p;
    }
    state.set(id, 'done');
    return undefined;
  };
  for (const s of steps) {
    const p = visit(s.id, []);
    if (p) return [p];
  }
  return [];
}

/** The templates the send steps name, with the path of each (for a 400 naming the field). */
export function templatesOf(steps: readonly JourneyStep[]): Array<{ template: string; path: string }> {
  return steps.flatMap((s, i) => (s.send ? [{ template: s.send.template, path: `steps.${i}.send.template` }] : []));
}

/** A segment rule of a branch (not an engagement condition). */
export function segmentRuleOf(c: BranchCondition): SegmentNode | undefined {
  return 'opened' in c || 'clicked' in c ? undefined : (c as SegmentNode);
}

/**
 * When a wait step ends for a recipient in `zone` who reaches it at `now`: `seconds` later, or the next moment their
 * own clock shows `untilLocalTime` (strictly after now; tomorrow if it is that minute already).
 *
 * @example
 * waitUntil({ untilLocalTime: '09:00' }, new Date('2026-12-06T08:00:00Z'), 'Europe/Berlin').toISOString() // '2026-12-07T08:00:00.000Z'
 */
export function waitUntil(wait: NonNullable<JourneyStep['wait']>, now: Date, zone: string): Date {
  if ('seconds' in wait) return new Date(now.getTime() + wait.seconds * 1000);
  const minutes = parseClock(wait.untilLocalTime)!;
  const today = wallTime(now, zone);
  for (let days = 0; days <= 2; days++) {
    // Date.UTC normalizes day 32 into the next month: calendar arithmetic on the wall date.
    const d = new Date(Date.UTC(today.year, today.month - 1, today.day + days));
    const at = zonedInstant({ year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: Math.floor(minutes / 60), minute: minutes % 60, second: 0 }, zone);
    if (at.getTime() > now.getTime()) return at;
  }
  return new Date(now.getTime() + 86_400_000);
}

/** Per-step figures of a journey, summed over the figure shards. */
export interface StepFigures {
  entered: number;
  waiting: number;
  sent: number;
  deferred: number;
  held: Record<string, number>;
  exited: number;
}

export interface JourneyFigures {
  enrolled: number;
  completed: number;
  exited: number;
  steps: Record<string, StepFigures>;
}

/** A figure's attribute name: `entered|welcome`, `held|welcome|opted_out`, `enrolled`. */
export const figureName = (kind: string, stepId?: string, reason?: string): string => [kind, ...(stepId ? [stepId] : []), ...(reason ? [reason] : [])].join('|');

/** Sums figure attributes (as {@link figureName} wrote them) into per-step figures; every step is present. */
export function sumFigures(steps: readonly JourneyStep[], shards: ReadonlyArray<Readonly<Record<string, unknown>>>): JourneyFigures {
  const out: JourneyFigures = { enrolled: 0, completed: 0, exited: 0, steps: {} };
  for (const s of steps) out.steps[s.id] = { entered: 0, waiting: 0, sent: 0, deferred: 0, held: {}, exited: 0 };
  for (const shard of shards) {
    for (const [name, value] of Object.entries(shard)) {
      if (typeof value !== 'number') continue;
      const [kind, step, reason] = name.split('|');
      if (!step) {
        if (kind === 'enrolled' || kind === 'completed' || kind === 'exited') out[kind] += value;
        continue;
      }
      const f = out.steps[step];
      if (!f) continue; // a step removed by an edit: its history is not shown
      if (kind === 'held' && reason) f.held[reason] = (f.held[reason] ?? 0) + value;
      else if (kind === 'entered' || kind === 'waiting' || kind === 'sent' || kind === 'deferred' || kind === 'exited') f[kind] += value;
    }
  }
  return out;
}

/** Whether an enrolment may start for a journey whose previous enrolment of the person is in `status`. */
export function mayEnrolAgain(reentry: 'never' | 'afterExit', previous: string | undefined): boolean {
  if (previous === undefined) return true;
  return reentry === 'afterExit' && (previous === 'done' || previous === 'exited');
}
