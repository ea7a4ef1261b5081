import { describe, expect, it } from 'vitest';
import { fromSteps, newRow, toSteps, type ApiStep } from '../../../console/src/journey-steps.ts';

describe('journey editor rows', () => {
  it('round-trip every step kind', () => {
    const steps: ApiStep[] = [
      { id: 'hello', send: { template: 'welcome' } },
      { id: 'day', wait: { seconds: 86400 } },
      { id: 'nine', wait: { untilLocalTime: '09:00' }, next: 'check' },
      { id: 'check', branch: { if: { clicked: 'hello' }, then: 'end', else: 'seg' } },
      { id: 'seg', branch: { if: { all: [{ field: 'country', op: 'eq', value: 'DE' }] }, then: 'hello', else: 'end' } },
    ];
    expect(toSteps(fromSteps(steps))).toEqual({ steps });
  });

  it('names the row of a rule that is not JSON or a wait that is not a whole number', () => {
    expect(toSteps([{ ...newRow(1, 'branch'), condition: 'rule', rule: '{all' }])).toEqual({ error: 'Step 1: the segment rule is not JSON.' });
    expect(toSteps([newRow(1), { ...newRow(2, 'wait'), seconds: '1.5' }])).toEqual({ error: 'Step 2: wait a whole number of seconds.' });
  });
});
