import { describe, expect, it } from 'vitest';
import { graphProblems, journeyStepKey, journeyStepOf, mayEnrolAgain, sumFigures, waitUntil, type JourneyStep } from '../../../lambdas/domain/journeys.ts';
import { JourneyInputSchema } from '../../../lambdas/schemas/journeys.ts';

const send = (id: string, next?: string): JourneyStep => ({ id, send: { template: 't' }, ...(next ? { next } : {}) });

describe('graphProblems', () => {
  it('accepts a straight line, an early end and a loop through a wait', () => {
    expect(graphProblems([send('a'), send('b', 'end'), send('c')])).toEqual([]);
    expect(graphProblems([send('a'), { id: 'w', wait: { seconds: 60 }, next: 'a' }])).toEqual([]);
    expect(graphProblems([send('a'), { id: 'w', wait: { seconds: 60 } }, { id: 'b', branch: { if: { clicked: 'a' }, then: 'end', else: 'w' } }])).toEqual([]);
  });

  it('names unknown targets, duplicate ids and engagement conditions on steps that send nothing', () => {
    expect(graphProblems([send('a', 'zz')])).toEqual([{ path: 'steps.0.next', message: 'no step zz' }]);
    expect(graphProblems([send('a'), send('a')])).toEqual([{ path: 'steps.1.id', message: 'duplicate step id a' }]);
    expect(graphProblems([{ id: 'w', wait: { seconds: 1 } }, { id: 'b', branch: { if: { opened: 'w' }, then: 'end', else: 'nope' } }])).toEqual([
      { path: 'steps.1.branch.else', message: 'no step nope' },
      { path: 'steps.1.branch.if.opened', message: 'no send step w' },
    ]);
  });

  it('refuses a loop with no wait in it, naming the edge that closes it', () => {
    expect(graphProblems([send('a', 'a')])).toEqual([{ path: 'steps.0.next', message: 'a loop without a wait: a → a' }]);
    const p = graphProblems([send('a'), { id: 'b', branch: { if: { clicked: 'a' }, then: 'end', else: 'a' } }]);
    expect(p).toEqual([{ path: 'steps.1.branch.else', message: 'a loop without a wait: a → b → a' }]);
  });
});

describe('the journey schema', () => {
  it('takes exactly one kind per step and one trigger, with defaults for exitOn and reentry', () => {
    const ok = JourneyInputSchema.parse({ id: 'j', name: 'J', trigger: { event: 'signed-up' }, steps: [send('a')] });
    expect(ok).toMatchObject({ exitOn: ['unsubscribed'], reentry: 'never' });
    expect(JourneyInputSchema.safeParse({ id: 'j', name: 'J', trigger: { event: 'x', recipientCreated: true }, steps: [send('a')] }).success).toBe(false);
    expect(JourneyInputSchema.safeParse({ id: 'j', name: 'J', trigger: { event: 'x' }, steps: [{ id: 'a' }] }).success).toBe(false);
    expect(JourneyInputSchema.safeParse({ id: 'j', name: 'J', trigger: { event: 'x' }, steps: [{ id: 'end', send: { template: 't' } }] }).success).toBe(false);
    // A branch condition is a segment rule, one condition, or a human open or click.
    for (const c of [{ all: [{ field: 'country', op: 'eq', value: 'DE' }] }, { field: 'attributes.plan', op: 'eq', value: 'pro' }, { opened: 'a' }]) {
      expect(JourneyInputSchema.safeParse({ id: 'j', name: 'J', trigger: { event: 'x' }, steps: [send('a'), { id: 'b', branch: { if: c, then: 'end', else: 'end' } }] }).success).toBe(true);
    }
  });
});

describe('waitUntil', () => {
  it('waits seconds, or until the next time the recipient’s clock shows HH:MM', () => {
    const now = new Date('2026-12-06T08:00:00Z');
    expect(waitUntil({ seconds: 90 }, now, 'UTC').toISOString()).toBe('2026-12-06T08:01:30.000Z');
    // 09:00 in Berlin (UTC+1 in December) is 08:00 UTC: that minute now, so tomorrow's.
    expect(waitUntil({ untilLocalTime: '09:00' }, now, 'Europe/Berlin').toISOString()).toBe('2026-12-07T08:00:00.000Z');
    expect(waitUntil({ untilLocalTime: '10:00' }, now, 'Europe/Berlin').toISOString()).toBe('2026-12-06T09:00:00.000Z');
    expect(waitUntil({ untilLocalTime: '09:00' }, now, 'America/Los_Angeles').toISOString()).toBe('2026-12-06T17:00:00.000Z');
    // Across a month end.
    expect(waitUntil({ untilLocalTime: '07:00' }, new Date('2026-12-31T23:00:00Z'), 'UTC').toISOString()).toBe('2027-01-01T07:00:00.000Z');
  });
});

describe('figures and re-entry', () => {
  it('sums shards per step, held by reason; steps removed by an edit are left out', () => {
    const f = sumFigures([send('a'), { id: 'w', wait: { seconds: 1 } }], [
      { enrolled: 2, 'entered|a': 2, 'sent|a': 1, 'held|a|opted_out': 1, 'waiting|w': 1 },
      { enrolled: 1, 'entered|a': 1, 'held|a|opted_out': 1, 'entered|gone': 4 },
    ]);
    expect(f.enrolled).toBe(3);
    expect(f.steps.a).toEqual({ entered: 3, waiting: 0, sent: 1, deferred: 0, held: { opted_out: 2 }, exited: 0 });
    expect(f.steps.w!.waiting).toBe(1);
    expect(f.steps.gone).toBeUndefined();
  });

  it('enrols again only after the run ended, and only with afterExit', () => {
    expect(mayEnrolAgain('never', undefined)).toBe(true);
    expect(mayEnrolAgain('never', 'done')).toBe(false);
    expect(mayEnrolAgain('afterExit', 'waiting')).toBe(false);
    expect(mayEnrolAgain('afterExit', 'exited')).toBe(true);
  });
});

describe('a send step’s idempotency key', () => {
  it('names the journey, the recipient and the run, and is read back; any other key is no step’s', () => {
    const key = journeyStepKey({ journeyId: 'cart-1', recipientId: 'rcp_abc', run: 2, stepId: 'remind', seq: 3 });
    expect(journeyStepOf(key)).toEqual({ journeyId: 'cart-1', recipientId: 'rcp_abc', run: 2 });
    for (const other of [undefined, 'welcome:rcp_abc', 'journey:cart-1:rcp_abc', 'journey:a:b:x:s:1', `${key}:extra`]) expect(journeyStepOf(other)).toBeUndefined();
  });
});
