import { afterEach, describe, expect, it } from 'vitest';
import { emitCounts, metrics } from '../../../lambdas/adapters/metrics.ts';

afterEach(() => metrics.clearMetrics());

describe('emitCounts', () => {
  it('adds each counted figure as an EMF metric of the same name, in namespace Sendwell with the service dimension', () => {
    emitCounts({ sent_marketing: 1, held_reason_opted_out: 2 });
    emitCounts({ sent_marketing: 1 });
    const emf = metrics.serializeMetrics() as unknown as Record<string, any>;
    const directive = emf._aws.CloudWatchMetrics[0];
    expect(directive.Namespace).toBe('Sendwell');
    expect(directive.Dimensions).toEqual([['service']]);
    expect(emf.service).toBe('sendwell');
    expect(directive.Metrics.map((m: { Name: string; Unit: string }) => [m.Name, m.Unit]).sort()).toEqual([
      ['held_reason_opted_out', 'Count'],
      ['sent_marketing', 'Count'],
    ]);
    expect(emf.sent_marketing).toEqual([1, 1]);
    expect(emf.held_reason_opted_out).toBe(2);
  });
});
