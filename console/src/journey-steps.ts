/**
 * The journey editor's rows and the API's steps, both ways. A row keeps every field a step kind may have, so switching
 * a row from send to wait and back loses nothing typed; only the chosen kind's fields go to the API. Pure.
 */
export type StepKind = 'send' | 'wait' | 'branch';
export type WaitMode = 'seconds' | 'untilLocalTime';
export type ConditionKind = 'clicked' | 'opened' | 'rule';

export interface StepRow {
  id: string;
  kind: StepKind;
  template: string;
  waitMode: WaitMode;
  seconds: string;
  localTime: string;
  condition: ConditionKind;
  conditionStep: string;
  /** A segment rule as JSON text (`{"all":[...]}` or one condition). */
  rule: string;
  then: string;
  else: string;
  /** Empty: the following step. */
  next: string;
}

export interface ApiStep {
  id: string;
  send?: { template: string };
  wait?: { seconds: number } | { untilLocalTime: string };
  branch?: { if: unknown; then: string; else: string };
  next?: string;
}

export const newRow = (n: number, kind: StepKind = 'send'): StepRow => ({
  id: `step-${n}`,
  kind,
  template: '',
  waitMode: 'seconds',
  seconds: '86400',
  localTime: '09:00',
  condition: 'clicked',
  conditionStep: '',
  rule: '{"all":[{"field":"country","op":"eq","value":"DE"}]}',
  then: 'end',
  else: 'end',
  next: '',
});

/** Rows → steps, or the first problem found (a rule that is not JSON, a wait that is not a number). */
export function toSteps(rows: readonly StepRow[]): { steps: ApiStep[] } | { error: string } {
  const steps: ApiStep[] = [];
  for (const [i, r] of rows.entries()) {
    const step: ApiStep = { id: r.id.trim() };
    if (r.kind === 'send') step.send = { template: r.template };
    else if (r.kind === 'wait') {
      if (r.waitMode === 'seconds') {
        const n = Number(r.seconds);
        if (!Number.isInteger(n) || n < 1) return { error: `Step ${i + 1}: wait a whole number of seconds.` };
        step.wait = { seconds: n };
      } else step.wait = { untilLocalTime: r.localTime };
    } else {
      let condition: unknown;
      if (r.condition === 'rule') {
        try {
          condition = JSON.parse(r.rule);
        } catch {
          return { error: `Step ${i + 1}: the segment rule is not JSON.` };
        }
      } else condition = { [r.condition]: r.conditionStep };
      step.branch = { if: condition, then: r.then || 'end', else: r.else || 'end' };
    }
    if (r.kind !== 'branch' && r.next.trim()) step.next = r.next.trim();
    steps.push(step);
  }
  return { steps };
}

/** Steps (as the API answers them) → rows. */
export function fromSteps(steps: readonly ApiStep[]): StepRow[] {
  return steps.map((s, i) => {
    const row = newRow(i + 1);
    row.id = s.id;
    row.next = s.next ?? '';
    if (s.send) return { ...row, kind: 'send', template: s.send.template };
    if (s.wait) {
      return 'seconds' in s.wait ? { ...row, kind: 'wait', waitMode: 'seconds', seconds: String(s.wait.seconds) } : { ...row, kind: 'wait', waitMode: 'untilLocalTime', localTime: s.wait.untilLocalTime };
    }
    const b = s.branch!;
    const c = b.if as Record<string, unknown>;
    const engagement = typeof c.clicked === 'string' ? 'clicked' : typeof c.opened === 'string' ? 'opened' : undefined;
    return {
      ...row,
      kind: 'branch',
      then: b.then,
      else: b.else,
      ...(engagement ? { condition: engagement, conditionStep: String(c[engagement]) } : { condition: 'rule' as const, rule: JSON.stringify(b.if) }),
    };
  });
}

/** The default welcome journey (lambdas/domain/welcome-journey.ts): the sign-up welcome mail as step one. */
export { WELCOME_JOURNEY } from '../../lambdas/domain/welcome-journey.ts';
