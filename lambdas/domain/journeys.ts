/**
 * Journeys: a trigger enrols a recipient, who then walks a list of steps — send a template, wait (a while, or until a
 * wall-clock time in their own zone), branch on a segment rule or on whether they opened or clicked an earlier step's
 * mail (human only). The definition and its checks are pure; where a recipient is and what happened to them is kept
 * by lambdas/services/journeys.ts.
 */
import type { BranchCondition, JourneyInput, JourneyStep, JourneyUpdate } from '../schemas/journeys.ts';
import type { SegmentNode } from './segments.ts';
import { parseClock, wallTime, zonedInstant } from './time-zones.ts';

// The definition's schema, for the API, is in lambdas/schemas/journeys.ts; the checks here use only its types.
export type { BranchCondition, JourneyInput, JourneyStep, JourneyUpdate };

/** The longest wait one step may take (a year). */
export const MAX_WAIT_SECONDS = 366 * 86_400;
export const MAX_STEPS = 50;

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

/**
 * The idempotency key of a send step's message: this run of the journey and this visit of the step, so whoever runs
 * the step again before the move claims the same record. {@link journeyStepOf} reads it back (the due sweep asks
 * whether the person is still in that run).
 */
export const journeyStepKey = (s: { journeyId: string; recipientId: string; run: number; stepId: string; seq: number }): string =>
  `journey:${s.journeyId}:${s.recipientId}:${s.run}:${s.stepId}:${s.seq}`;

/** The journey, recipient and run a message's idempotency key names, if it is a journey step's. */
export function journeyStepOf(idempotencyKey: string | undefined): { journeyId: string; recipientId: string; run: number } | undefined {
  const m = /^journey:([^:]+):([^:]+):(\d+):[^:]+:\d+$/.exec(idempotencyKey ?? '');
  return m ? { journeyId: m[1]!, recipientId: m[2]!, run: Number(m[3]) } : undefined;
}

/** Whether an enrolment may start for a journey whose previous enrolment of the person is in `status`. */
export function mayEnrolAgain(reentry: 'never' | 'afterExit', previous: string | undefined): boolean {
  if (previous === undefined) return true;
  return reentry === 'afterExit' && (previous === 'done' || previous === 'exited');
}
