import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { figuresOfChange, nextPart, seriesOf, settledOfChange, MAX_PART_KEYS, type FigureChange, type MessageChange, type SettledChange } from '../../../lambdas/domain/message-figures.ts';

const record = (extra: Record<string, unknown> = {}) => ({ pk: 'M#m1', sk: 'MSG', messageId: 'm1', class: 'marketing', topic: 'news', campaignId: 'c1', ...extra });
const modify = (oldImage: Record<string, unknown>, newImage: Record<string, unknown>) => figuresOfChange({ eventName: 'MODIFY', oldImage, newImage });

/** Adds every figure of `changes` into one object (day and series left aside). */
const total = (changes: readonly FigureChange[]) => {
  const sum: Record<string, number> = {};
  for (const c of changes) for (const [k, n] of Object.entries(c.figures)) sum[k] = (sum[k] ?? 0) + n;
  return Object.fromEntries(Object.entries(sum).filter(([, n]) => n !== 0));
};

describe('figures of a message change', () => {
  it('counts a delivery once, when deliveredAt is set, in the message’s class and series', () => {
    const at = '2026-12-05T10:00:00.000Z';
    expect(modify(record({ status: 'sent' }), record({ status: 'sent', deliveredAt: at, deliveryStatus: 'delivered' }))).toEqual([
      { at, figures: { delivered: 1, delivered_marketing: 1 }, dims: { topic: 'news', campaign: 'c1' } },
    ]);
    // A later write to a delivered record (a bounce after it) is no second delivery.
    expect(modify(record({ deliveredAt: at }), record({ deliveredAt: at, deliveryStatus: 'bounced_soft' }))).toEqual([]);
  });

  it('counts each feedback event item once, as it is inserted, with the figure of its kind', () => {
    const item = { pk: 'M#m1', sk: 'E#2026-12-05T10:00:00.000Z#bounced_hard#abc', at: '2026-12-05T10:00:00.000Z', type: 'bounced_hard', class: 'service', detail: { bounceType: 'Permanent', bounceSubType: 'General' } };
    expect(figuresOfChange({ eventName: 'INSERT', newImage: item })).toEqual([{ at: item.at, figures: { bounced_hard: 1, bounced_hard_service: 1 }, dims: {} }]);
    const suppressed = { ...item, detail: { bounceType: 'Permanent', bounceSubType: 'OnAccountSuppressionList' } };
    expect(figuresOfChange({ eventName: 'INSERT', newImage: suppressed })[0]!.figures).toEqual({ ses_suppressed: 1, ses_suppressed_service: 1 });
    // Removed by TTL or erasure, modified, or without the message's class (written before issue 17; a `Send`): nothing.
    expect(figuresOfChange({ eventName: 'REMOVE', oldImage: item })).toEqual([]);
    expect(figuresOfChange({ eventName: 'MODIFY', oldImage: item, newImage: item })).toEqual([]);
    expect(figuresOfChange({ eventName: 'INSERT', newImage: { ...item, class: undefined } })).toEqual([]);
  });

  it('ignores claims, raw open and click events, link sets and records without a class', () => {
    expect(figuresOfChange({ eventName: 'INSERT', newImage: record({ status: 'sending' }) })).toEqual([]);
    expect(figuresOfChange({ eventName: 'INSERT', newImage: { pk: 'M#m1', sk: 'E#2026-12-05T10:00:00.000Z#open#1a2b', type: 'open', class: 'marketing', at: '2026-12-05T10:00:00.000Z' } })).toEqual([]);
    expect(figuresOfChange({ eventName: 'INSERT', newImage: { pk: 'LINKS#x', sk: 'LINKS', links: [] } })).toEqual([]);
    expect(modify({ pk: 'M#m1', sk: 'MSG' }, { pk: 'M#m1', sk: 'MSG', deliveredAt: '2026-12-05T10:00:00.000Z' })).toEqual([]);
    expect(modify(record({ status: 'sending' }), record({ status: 'sent', sentAt: '2026-12-05T10:00:00.000Z' }))).toEqual([]);
  });

  it('dates an open by the record’s last open, the stream’s time when the record has none', () => {
    const first = modify(record(), record({ opens: 1, humanOpens: 1, firstOpenAt: '2026-12-05T23:59:59.000Z', firstHumanOpenAt: '2026-12-05T23:59:59.000Z', lastOpenAt: '2026-12-05T23:59:59.000Z' }));
    expect(first).toEqual([
      {
        at: '2026-12-05T23:59:59.000Z',
        figures: withClass({ opens_total: 1, opens_human: 1, opens_unique: 1, opens_unique_human: 1 }),
        dims: { topic: 'news', campaign: 'c1' },
      },
    ]);
    expect(figuresOfChange({ eventName: 'MODIFY', oldImage: record({ opens: 1 }), newImage: record({ opens: 2, machineOpens: 1 }), at: '2026-12-06T00:00:01.000Z' })[0]!.at).toBe('2026-12-06T00:00:01.000Z');
  });

  it('counts a click moved from human to machine as -1/+1, and the last human click gone as -1 unique human on its day', () => {
    const before: Record<string, unknown> = record({ clicks: 2, humanClicks: 1, machineClicks: 1, firstClickAt: '2026-12-04T10:00:00.000Z', firstHumanClickAt: '2026-12-04T10:00:00.000Z', lastClickAt: '2026-12-05T10:00:00.000Z' });
    const moved: Record<string, unknown> = { ...before, humanClicks: 0, machineClicks: 2 };
    expect(modify(before, moved)).toEqual([{ at: '2026-12-05T10:00:00.000Z', figures: withClass({ clicks_human: -1, clicks_machine: 1 }), dims: { topic: 'news', campaign: 'c1' } }]);
    // The store removes the first human click in a write of its own: nothing else changes in it.
    const gone = { ...moved };
    delete gone.firstHumanClickAt;
    expect(modify(moved, gone)).toEqual([{ at: '2026-12-04T10:00:00.000Z', figures: withClass({ clicks_unique_human: -1 }), dims: { topic: 'news', campaign: 'c1' } }]);
  });

  it('sums to what counting each open and click on its own path counted, for any sequence of them', () => {
    // The record as message-store.ts writes it, and the figures tracking.ts counted per event before issue 17.
    type Op = { kind: 'Open' | 'Click'; machine: boolean } | { kind: 'reclassify' };
    const op = fc.oneof(fc.record({ kind: fc.constantFrom('Open' as const, 'Click' as const), machine: fc.boolean() }), fc.constant({ kind: 'reclassify' as const }));
    fc.assert(
      fc.property(fc.array(op, { maxLength: 30 }), (ops: Op[]) => {
        let item: Record<string, unknown> = record();
        let humanClickEvents = 0;
        const changes: FigureChange[] = [];
        const expected: Record<string, number> = {};
        const count = (f: Record<string, number>) => {
          for (const [k, n] of Object.entries(withClass(f))) expected[k] = (expected[k] ?? 0) + n;
        };
        ops.forEach((o, i) => {
          const at = new Date(Date.UTC(2026, 11, 5, 10, 0, i)).toISOString();
          const next: Record<string, unknown> = { ...item };
          if (o.kind === 'reclassify') {
            if (humanClickEvents === 0) return;
            humanClickEvents--;
            next.humanClicks = Number(next.humanClicks ?? 0) - 1;
            next.machineClicks = Number(next.machineClicks ?? 0) + 1;
            count({ clicks_human: -1, clicks_machine: 1 });
            if (next.humanClicks === 0 && next.firstHumanClickAt !== undefined) {
              // The store removes the first human click in a write of its own, after the move.
              changes.push(...modify(item, next));
              item = { ...next };
              delete next.firstHumanClickAt;
              count({ clicks_unique_human: -1 });
            }
          } else {
            const n = `${o.kind.toLowerCase()}s`;
            const first = next[`first${o.kind}At`] === undefined;
            const firstHuman = !o.machine && next[`firstHuman${o.kind}At`] === undefined;
            next[n] = Number(next[n] ?? 0) + 1;
            next[`${o.machine ? 'machine' : 'human'}${o.kind}s`] = Number(next[`${o.machine ? 'machine' : 'human'}${o.kind}s`] ?? 0) + 1;
            next[`first${o.kind}At`] ??= at;
            if (!o.machine) next[`firstHuman${o.kind}At`] ??= at;
            next[`last${o.kind}At`] = at;
            if (o.kind === 'Click' && !o.machine) humanClickEvents++;
            count({ [`${n}_total`]: 1, [`${n}_${o.machine ? 'machine' : 'human'}`]: 1, ...(first ? { [`${n}_unique`]: 1 } : {}), ...(firstHuman ? { [`${n}_unique_human`]: 1 } : {}) });
          }
          changes.push(...modify(item, next));
          item = next;
        });
        expect(total(changes)).toEqual(Object.fromEntries(Object.entries(expected).filter(([, n]) => n !== 0)));
      }),
    );
  });
});

describe('parts of a batch', () => {
  const change = (day: number, dims: FigureChange['dims'], figures: Record<string, number> = { delivered: 1 }): FigureChange => ({
    at: `2026-12-${String(day).padStart(2, '0')}T10:00:00.000Z`,
    figures,
    dims,
  });

  it('writes each series-day once per part, summed', () => {
    const part = nextPart([[change(5, { topic: 'news', campaign: 'c1' })], [], [change(5, { topic: 'news', campaign: 'c1' }), change(5, {}, { opens_total: 1 })]], 0);
    expect(part).toEqual({
      first: 0,
      last: 2,
      sums: [
        { series: 'ALL', day: '2026-12-05', figures: { delivered: 2, opens_total: 1 } },
        { series: 'T#news', day: '2026-12-05', figures: { delivered: 2 } },
        { series: 'C#c1', day: '2026-12-05', figures: { delivered: 2 } },
      ],
      progress: [],
    });
    // Records that add nothing make a part without sums (nothing to write).
    expect(nextPart([[], []], 0)).toEqual({ first: 0, last: 1, sums: [], progress: [] });
  });

  it('sums the recipients the part settled per campaign, each campaign one item of the part', () => {
    const settled = (campaign: string, outcome: SettledChange['outcome'], extra: Partial<SettledChange> = {}): SettledChange => ({ campaign, cls: 'marketing', outcome, at: '2026-12-05T10:00:00.000Z', ...extra });
    const part = nextPart([[], [], [], []], 0, 3, [settled('c1', 'sent', { late: true, variant: 'a' }), undefined, settled('c1', { held: 'opted_out' }), settled('c2', 'failed')]);
    expect(part.progress).toEqual([
      { campaign: 'c1', figures: { settled: 2, sent: 1, late: 1, 'V#a#sent': 1, held_opted_out: 1 } },
      { campaign: 'c2', figures: { settled: 1, failed: 1 } },
    ]);
    // A campaign's item counts toward the part's items: with room for one, the second campaign starts the next part.
    expect(nextPart([[], [], [], []], 0, 1, [settled('c1', 'sent'), undefined, settled('c1', 'sent'), settled('c2', 'sent')]).last).toBe(2);
  });

  it('covers every record once, in order, each part within a transaction, and adds up to the batch', () => {
    // A record holds at most 3 changes here, 12 series-days: any smaller limit could not hold one record.
    const dims = fc.record({ topic: fc.option(fc.constantFrom('a', 'b', 'c'), { nil: undefined }), campaign: fc.option(fc.integer({ min: 0, max: 60 }).map(String), { nil: undefined }), variant: fc.option(fc.constantFrom('x', 'y'), { nil: undefined }) });
    const oneChange = fc.tuple(fc.integer({ min: 1, max: 3 }), dims, fc.integer({ min: -1, max: 3 })).map(([day, d, n]) =>
      change(day, Object.fromEntries(Object.entries(d).filter(([, v]) => v !== undefined)), { delivered: n }),
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.array(oneChange, { maxLength: 3 }), fc.option(fc.integer({ min: 0, max: 40 }), { nil: undefined })), { maxLength: 150 }), fc.integer({ min: 13, max: MAX_PART_KEYS }), (batch, maxKeys) => {
        const records = batch.map(([r]) => r);
        const settled = batch.map(([, c]) => (c === undefined ? undefined : { campaign: `c${c}`, cls: 'marketing', outcome: 'sent' as const, at: '2026-12-05T10:00:00.000Z' }));
        const wantSettled = new Map<string, number>();
        for (const e of settled) if (e) wantSettled.set(e.campaign, (wantSettled.get(e.campaign) ?? 0) + 1);
        const gotSettled = new Map<string, number>();
        const want = new Map<string, number>();
        for (const c of records.flat()) for (const s of seriesOf(c.dims)) want.set(`${s}|${c.at.slice(0, 10)}`, (want.get(`${s}|${c.at.slice(0, 10)}`) ?? 0) + c.figures.delivered!);
        const got = new Map<string, number>();
        let from = 0;
        while (from < records.length) {
          const part = nextPart(records, from, maxKeys, settled);
          expect(part.first).toBe(from);
          expect(part.last).toBeGreaterThanOrEqual(from);
          expect(part.sums.length + part.progress.length).toBeLessThanOrEqual(maxKeys);
          for (const p of part.progress) gotSettled.set(p.campaign, (gotSettled.get(p.campaign) ?? 0) + p.figures.settled!);
          for (const s of part.sums) {
            const k = `${s.series}|${s.day}`;
            got.set(k, (got.get(k) ?? 0) + (s.figures.delivered ?? 0));
          }
          from = part.last + 1;
        }
        for (const [k, n] of want) expect(got.get(k) ?? 0, k).toBe(n);
        expect(gotSettled).toEqual(wantSettled);
      }),
    );
  });
});

function withClass(f: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(f).flatMap(([k, n]) => [[k, n], [`${k}_marketing`, n]]));
}

describe('campaign recipients settled by a change', () => {
  const at = '2026-12-06T10:00:00.000Z';
  const rec = (extra: Record<string, unknown>) => ({ pk: 'M#c1-r1', sk: 'MSG', campaignId: 'c1', class: 'marketing', topic: 'news', updatedAt: at, ...extra });

  it('settles a record when it first becomes final, with its outcome, day figures and series', () => {
    const sent: MessageChange = { eventName: 'MODIFY', oldImage: rec({ status: 'sending' }), newImage: rec({ status: 'sent', late: true, variant: 'b' }) };
    expect(settledOfChange(sent)).toEqual({ campaign: 'c1', cls: 'marketing', topic: 'news', variant: 'b', outcome: 'sent', late: true, at });
    expect(figuresOfChange(sent)).toEqual([{ at, figures: { late: 1, sent_marketing: 1 }, dims: { topic: 'news', campaign: 'c1', variant: 'b' } }]);
    // Held at once: the claim is the record's first write.
    expect(settledOfChange({ eventName: 'INSERT', newImage: rec({ status: 'held', reason: 'opted_out' }) })?.outcome).toEqual({ held: 'opted_out' });
    // Dead-lettered after its last attempt: failed for good; a plain failed attempt is retried, not settled.
    expect(settledOfChange({ eventName: 'MODIFY', oldImage: rec({ status: 'failed' }), newImage: rec({ status: 'failed', deadLetteredAt: at }) })?.outcome).toBe('failed');
    expect(settledOfChange({ eventName: 'MODIFY', oldImage: rec({ status: 'sending' }), newImage: rec({ status: 'failed' }) })).toBeUndefined();
    // Left the audience while waiting: excluded, as those the filter leaves out, and no day figure.
    const left: MessageChange = { eventName: 'MODIFY', oldImage: rec({ status: 'deferred' }), newImage: rec({ status: 'held', reason: 'not_in_audience' }) };
    expect(settledOfChange(left)?.outcome).toBe('excluded');
    expect(figuresOfChange(left)).toEqual([]);
  });

  it('settles nothing that goes, and nothing that is no campaign’s', () => {
    // An erasure makes a record final before deleting it (services/privacy.ts): counted then, not when it goes.
    expect(settledOfChange({ eventName: 'REMOVE', oldImage: rec({ status: 'sending' }), at })).toBeUndefined();
    expect(settledOfChange({ eventName: 'MODIFY', oldImage: { ...rec({ status: 'sending' }), campaignId: undefined }, newImage: { ...rec({ status: 'sent' }), campaignId: undefined } })).toBeUndefined();
  });

  it('settles each recipient exactly once per record, whatever the store writes in whatever order', () => {
    // The record's writes with the conditions MessageStore puts on them; a write whose condition fails changes nothing.
    type Img = Record<string, unknown> | undefined;
    const final = (r: Img) => r !== undefined && (r.status === 'sent' || r.status === 'held' || (r.status === 'failed' && r.deadLetteredAt !== undefined));
    const claimable = (r: Img) => r === undefined || (r.status === 'failed' && r.deadLetteredAt === undefined);
    const writes: Record<string, (r: Img) => Img | 'none' | 'delete'> = {
      claimSending: (r) => (claimable(r) ? rec({ status: 'sending' }) : 'none'),
      claimHeld: (r) => (claimable(r) ? rec({ status: 'held', reason: 'opted_out' }) : 'none'),
      claimDeferred: (r) => (claimable(r) ? rec({ status: 'deferred' }) : 'none'),
      leaveDeferredSending: (r) => (r?.status === 'deferred' ? { ...r, status: 'sending' } : 'none'),
      leaveDeferredHeld: (r) => (r?.status === 'deferred' ? { ...r, status: 'held', reason: 'not_in_audience' } : 'none'),
      markSent: (r) => (r?.status === 'sending' ? { ...r, status: 'sent' } : 'none'),
      settleAsSent: (r) => (r?.status === 'sending' ? { ...r, status: 'sent' } : 'none'),
      markHeld: (r) => (r?.status === 'sending' ? { ...r, status: 'held', reason: 'frequency_capped' } : 'none'),
      markFailed: (r) => (r?.status === 'sending' ? { ...r, status: 'failed' } : 'none'),
      markDeadLettered: (r) => (r?.status === 'failed' && r.deadLetteredAt === undefined ? { ...r, status: 'failed', deadLetteredAt: at } : 'none'),
      holdUnsettled: (r) => ((r?.status === 'sending' || r?.status === 'failed') && r.deadLetteredAt === undefined ? { ...r, status: 'held', reason: 'erased' } : 'none'),
      reclaimStale: (r) => (r?.status === 'sending' ? { ...r, reclaimedAt: at } : 'none'),
      open: (r) => (r ? { ...r, opens: Number(r.opens ?? 0) + 1 } : 'none'),
      // The erasure deletes a record only once it is final (services/privacy.ts `settleCampaignMessage`).
      erase: (r) => (final(r) ? 'delete' : 'none'),
    };
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...Object.keys(writes)), { maxLength: 40 }), (steps) => {
        let r: Img;
        let settles = 0;
        // Per life of the record (an erasure ends one; a later claim starts another): settled once if it became final
        // or was erased before, never more.
        let owed = false;
        for (const step of steps) {
          const next = writes[step]!(r);
          if (next === 'none') continue;
          const change: MessageChange = next === 'delete' ? { eventName: 'REMOVE', oldImage: r, at } : r === undefined ? { eventName: 'INSERT', newImage: next } : { eventName: 'MODIFY', oldImage: r, newImage: next };
          const s = settledOfChange(change);
          if (s) settles++;
          if (next === 'delete') {
            expect(settles).toBe(1);
            settles = 0;
            owed = false;
            r = undefined;
          } else {
            owed = final(next);
            if (owed) expect(settles).toBe(1);
            else expect(settles).toBe(0);
            r = next;
          }
        }
        expect(settles).toBe(owed ? 1 : 0);
      }),
    );
  });
});
