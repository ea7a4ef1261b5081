import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DEFAULT_SOFT_BOUNCE_POLICY, isMailboxBounce, softBounceEntry, softBounceVerdict } from '../../../lambdas/domain/soft-bounces.ts';

const at = (day: number, hour = 10) => new Date(Date.UTC(2026, 10, day, hour)).toISOString();
const e = (day: number, key: string) => softBounceEntry(at(day), key);

describe('softBounceVerdict', () => {
  it('suppresses at the third transient bounce within 7 days, for 30 days from it', () => {
    expect(softBounceVerdict([e(1, 'a'), e(3, 'b')], DEFAULT_SOFT_BOUNCE_POLICY)).toMatchObject({ inWindow: 2, suppress: false });
    expect(softBounceVerdict([e(1, 'a'), e(3, 'b'), e(5, 'c')], DEFAULT_SOFT_BOUNCE_POLICY)).toEqual({
      inWindow: 3,
      suppress: true,
      since: at(5),
      expiresAt: at(35),
      stale: [],
    });
  });

  it('does not suppress bounces spread wider than the window, and names the stale ones', () => {
    const v = softBounceVerdict([e(1, 'a'), e(5, 'b'), e(9, 'c')], DEFAULT_SOFT_BOUNCE_POLICY);
    expect(v).toMatchObject({ inWindow: 2, suppress: false, stale: [e(1, 'a')] });
  });

  it('counts a duplicate once', () => {
    expect(softBounceVerdict([e(1, 'a'), e(1, 'a'), e(2, 'b')], DEFAULT_SOFT_BOUNCE_POLICY)).toMatchObject({ inWindow: 2, suppress: false });
  });

  it('gives the same verdict whatever the order the bounces arrived in', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 1, max: 28 }), fc.constantFrom('a', 'b', 'c', 'd', 'e')), { maxLength: 8 }), fc.context(), (list, _ctx) => {
        const entries = list.map(([d, k]) => e(d, k));
        const reversed = [...entries].reverse();
        expect(softBounceVerdict(reversed, DEFAULT_SOFT_BOUNCE_POLICY)).toEqual(softBounceVerdict(entries, DEFAULT_SOFT_BOUNCE_POLICY));
      }),
    );
  });

  it('is nothing for no bounces, and ignores unreadable entries', () => {
    expect(softBounceVerdict([], DEFAULT_SOFT_BOUNCE_POLICY)).toEqual({ inWindow: 0, suppress: false, stale: [] });
    expect(softBounceVerdict(['garbage', 'x|y'], DEFAULT_SOFT_BOUNCE_POLICY)).toEqual({ inWindow: 0, suppress: false, stale: [] });
  });
});

describe('isMailboxBounce: which transient bounces feed the repeated-bounce rule', () => {
  it.each([
    ['Transient', 'General', true],
    ['Transient', 'MailboxFull', true],
    ['Undetermined', 'Undetermined', true],
    // About one message, not the mailbox: still counted as bounced_soft, never toward a suppression.
    ['Transient', 'MessageTooLarge', false],
    ['Transient', 'ContentRejected', false],
    ['Transient', 'AttachmentRejected', false],
    ['Transient', 'SomethingSesAddsLater', false],
    ['Permanent', 'General', false],
  ])('%s/%s → %s', (bounceType, bounceSubType, expected) => {
    expect(isMailboxBounce({ bounceType, bounceSubType })).toBe(expected);
  });
});
