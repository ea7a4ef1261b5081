/**
 * The figures stream's event filters (lambdas/wiring/event-functions.ts FIGURES_STREAM, applied by the deployed
 * mapping and by the local stream reader): no change that adds to the figures or settles a campaign recipient may be
 * filtered out, and the bulk of the stream that adds nothing (claims, raw open and click events, engagement items,
 * removals of what was counted) is.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { marshall } from '@aws-sdk/util-dynamodb';
import { figuresOfChange, settledOfChange, type MessageChange } from '../../../lambdas/domain/message-figures.ts';
import { FIGURES_STREAM, LEDGER_STREAM } from '../../../lambdas/wiring/event-functions.ts';
import { matchesFilter } from '../../../local/stream-poller.ts';

/** The change as a stream record, the shape the filters are matched against (on AWS and by the local reader). */
function streamRecord(change: MessageChange) {
  const keysOf = (image: Readonly<Record<string, unknown>> | undefined) => (image ? marshall({ pk: image.pk, sk: image.sk }) : undefined);
  return {
    eventName: change.eventName,
    dynamodb: {
      Keys: keysOf(change.newImage ?? change.oldImage),
      ...(change.newImage ? { NewImage: marshall(change.newImage, { removeUndefinedValues: true }) } : {}),
      ...(change.oldImage ? { OldImage: marshall(change.oldImage, { removeUndefinedValues: true }) } : {}),
    },
  };
}
const passes = (change: MessageChange) => FIGURES_STREAM.filters.some((f) => matchesFilter(f, streamRecord(change)));

const at = '2026-12-05T10:00:00.000Z';
const record = { pk: 'M#m1', sk: 'MSG', class: 'marketing', campaignId: 'cmp_1', status: 'sent' };

describe('the figures stream filters', () => {
  it('let through what counts: a delivery, an open, a click, each counted SES feedback event', () => {
    expect(passes({ eventName: 'MODIFY', oldImage: record, newImage: { ...record, deliveredAt: at } })).toBe(true);
    expect(passes({ eventName: 'MODIFY', oldImage: record, newImage: { ...record, opens: 1, humanOpens: 1, firstOpenAt: at, lastOpenAt: at } })).toBe(true);
    for (const type of ['bounced_hard', 'bounced_soft', 'complained', 'rejected', 'delayed', 'rendering_failed']) {
      const change = { eventName: 'INSERT', newImage: { pk: 'M#m1', sk: `E#${at}#${type}`, type, at, class: 'marketing' } };
      expect(figuresOfChange(change).length, type).toBe(1);
      expect(passes(change), type).toBe(true);
    }
  });

  it('let through a campaign recipient held at once (the claim is final), and no other claim', () => {
    expect(passes({ eventName: 'INSERT', newImage: { ...record, status: 'held', reason: 'opted_out' } })).toBe(true);
    // Not a campaign's: a transactional mail held at once settles nothing.
    expect(passes({ eventName: 'INSERT', newImage: { pk: 'M#m1', sk: 'MSG', class: 'service', status: 'held', reason: 'suppressed' } })).toBe(false);
    // A removal settles nothing: an erasure makes a campaign record final before it deletes it.
    for (const status of ['sending', 'failed', 'deferred', 'sent']) expect(passes({ eventName: 'REMOVE', oldImage: { ...record, status } }), status).toBe(false);
  });

  it('filter out what never counts: the claim, raw open and click events, engagement items, link sets, removals', () => {
    for (const status of ['sending', 'deferred']) expect(passes({ eventName: 'INSERT', newImage: { ...record, status } }), status).toBe(false);
    expect(passes({ eventName: 'INSERT', newImage: { pk: 'M#m1', sk: `E#${at}#open#ab12`, type: 'open', at, class: 'marketing' } })).toBe(false);
    expect(passes({ eventName: 'INSERT', newImage: { pk: 'M#m1', sk: `E#${at}#click#ab12`, type: 'click', at } })).toBe(false);
    expect(passes({ eventName: 'MODIFY', oldImage: { pk: 'R#r1', sk: 'ENGAGEMENT' }, newImage: { pk: 'R#r1', sk: 'ENGAGEMENT', lastOpenedAt: at } })).toBe(false);
    expect(passes({ eventName: 'INSERT', newImage: { pk: 'LINKS#h1', sk: 'LINKS', links: ['https://shop.example'] } })).toBe(false);
    expect(passes({ eventName: 'REMOVE', oldImage: { ...record, deliveredAt: at } })).toBe(false);
  });

  it('never filter out a change that adds to the figures (any item, any change)', () => {
    const image = fc.record(
      {
        pk: fc.constantFrom('M#m1', 'R#r1', 'LINKS#h1', 'C#c1'),
        sk: fc.constantFrom('MSG', `E#${at}#x`, 'ENGAGEMENT', 'LINKS', 'CLAIM'),
        class: fc.constantFrom('marketing', 'service', undefined),
        type: fc.constantFrom('bounced_hard', 'bounced_soft', 'complained', 'rejected', 'delayed', 'rendering_failed', 'delivered', 'open', 'click', 'send', undefined),
        at: fc.constant(at),
        deliveredAt: fc.constantFrom(at, undefined),
        opens: fc.nat(3),
        humanOpens: fc.nat(3),
        clicks: fc.nat(3),
        humanClicks: fc.nat(3),
        firstOpenAt: fc.constantFrom(at, undefined),
        lastOpenAt: fc.constantFrom(at, undefined),
        lastClickAt: fc.constantFrom(at, undefined),
        campaignId: fc.constantFrom('cmp_1', undefined),
        status: fc.constantFrom('deferred', 'sending', 'sent', 'held', 'failed', undefined),
        reason: fc.constantFrom('opted_out', 'not_in_audience', undefined),
        deadLetteredAt: fc.constantFrom(at, undefined),
        updatedAt: fc.constant(at),
      },
      { requiredKeys: ['pk', 'sk'] },
    );
    fc.assert(
      fc.property(fc.constantFrom('INSERT', 'MODIFY', 'REMOVE'), image, image, (eventName, a, b) => {
        const newer = { ...b, pk: a.pk, sk: a.sk };
        const change: MessageChange = eventName === 'REMOVE' ? { eventName, oldImage: a, at } : eventName === 'INSERT' ? { eventName, newImage: newer } : { eventName, oldImage: a, newImage: newer, at };
        if (figuresOfChange(change).length > 0 || settledOfChange(change)) expect(passes(change)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('the ledger stream filter', () => {
  const entry = marshall({ pk: 'R#r1', sk: '2026-12-05T10:00:00.000Z#000#ab', subject: 'topic:news', to: 'opted_out' });
  it('lets through a new entry, the one change the relay sends on, and nothing else', () => {
    const passes = (eventName: string, images: Record<string, unknown>) => LEDGER_STREAM.filters.some((f) => matchesFilter(f, { eventName, dynamodb: { Keys: entry, ...images } }));
    expect(passes('INSERT', { NewImage: entry })).toBe(true);
    expect(passes('REMOVE', { OldImage: entry })).toBe(false);
    expect(passes('MODIFY', { OldImage: entry, NewImage: entry })).toBe(false);
  });
});
