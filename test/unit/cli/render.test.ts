import { describe, expect, it } from 'vitest';
import { campaignProgressLine, duration, heldByReason, importProgressLine, progressBar, table } from '../../../cli/render.ts';
import { campaignDoc } from '../../support/cli.ts';

const progress = (over: Parameters<typeof campaignDoc>[1]) => campaignDoc('sending', { audience: 10_000, targeted: 10_000, remaining: 10_000, ...over }).progress;

describe('progressBar', () => {
  it('fills in proportion and rounds down, so 100 % means all done', () => {
    expect(progressBar(0, 10, 10)).toBe('[..........]   0%');
    expect(progressBar(5, 10, 10)).toBe('[#####.....]  50%');
    expect(progressBar(999, 1000, 10)).toBe('[#########.]  99%');
    expect(progressBar(10, 10, 10)).toBe('[##########] 100%');
  });

  it('never draws past the ends', () => {
    expect(progressBar(12, 10, 4)).toBe('[####] 100%');
    expect(progressBar(-1, 10, 4)).toBe('[....]   0%');
    expect(progressBar(3, 0, 4)).toBe('[....]   0%');
  });
});

describe('duration', () => {
  it('reads like a person would say it', () => {
    expect([duration(0), duration(42.4), duration(245), duration(3725), duration(-5)]).toEqual(['0s', '42s', '4m 05s', '1h 02m', '0s']);
  });
});

describe('campaignProgressLine', () => {
  it('shows settled of targeted, sent, held by reason (largest first), failed, rate, ETA and status', () => {
    const line = campaignProgressLine(
      { status: 'sending', progress: progress({ sent: 4_000, held: { suppressed: 50, not_opted_in: 150 }, heldTotal: 200, failed: 20, ratePerSecond: 120.4, etaSeconds: 48 }) },
      { width: 10 },
    );
    expect(line).toBe('[####......]  42% 4,220/10,000  sent 4,000 · held 200 (not_opted_in 150, suppressed 50) · failed 20 · 120/s · ETA 48s · sending');
  });

  it('marks a total that can still grow, leaves out what is unknown, and names why it is paused', () => {
    const line = campaignProgressLine(
      { status: 'paused', pauseReason: 'ses_sending_paused', progress: progress({ audienceComplete: false, targeted: 500, sent: 120, ratePerSecond: 2.25, etaSeconds: 100 }) },
      { bar: false },
    );
    expect(line).toBe('120/≥500  sent 120 · held 0 · failed 0 · 2.3/s · paused (ses_sending_paused)');
  });
});

describe('small pieces', () => {
  it('held by reason skips zeros', () => {
    expect(heldByReason({ suppressed: 0, not_opted_in: 3, bounced: 3 })).toBe('bounced 3, not_opted_in 3');
  });

  it('import progress with and without the bar', () => {
    expect(importProgressLine(500, 1_203, 2, 3, { width: 8 })).toBe('[###.....]  41%  500/1,203 rows (chunk 2/3)');
    expect(importProgressLine(500, 1_203, 2, 3, { bar: false })).toBe('imported 500/1,203 rows (chunk 2/3)');
  });

  it('table pads every column but the last', () => {
    expect(table([['ID', 'NAME'], ['news', 'Weekly news'], ['a', 'b']])).toBe('ID    NAME\nnews  Weekly news\na     b\n');
  });
});
