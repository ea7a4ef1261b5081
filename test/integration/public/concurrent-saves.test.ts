/**
 * Two changes of one person at once (a double click, two tabs, a one-click while the preference page saves): the
 * later finds the change made, answers as for a repeat, and nothing is ledgered or counted twice. The stale read is
 * forced (a store that answers the state from before the first change) so the race is not left to timing; the HTTP
 * case sends the clicks together as a browser would.
 */
import { describe, expect, it } from 'vitest';
import { container } from '../../../lambdas/adapters/container.ts';
import type { RecipientAggregate } from '../../../lambdas/adapters/dynamo/recipient-store.ts';
import { changePreferences } from '../../../lambdas/services/consent-changes.ts';
import { confirmOptIn } from '../../../lambdas/services/recipients.ts';
import type { Deps } from '../../../lambdas/services/deps.ts';
import { hrefs, mailTo } from '../../support/mailbox.ts';
import { pathOf } from '../../support/scenario.ts';
import { useGateway } from '../../support/suite.ts';

const suite = useGateway('races');
const evidence = { at: new Date().toISOString(), ipPseudonym: 'test', wording: 'test-v1' };

/** The container, but its first read of the person answers `stale` (what a request that read before the other saw). */
function readingFirst(stale: RecipientAggregate): Deps {
  const deps = container();
  const real = deps.recipients;
  let first = true;
  const recipients = new Proxy(real, {
    get(target, name) {
      if (name === 'get') {
        return async (id: string) => {
          if (first) {
            first = false;
            return stale;
          }
          return target.get(id);
        };
      }
      const value = Reflect.get(target, name) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return new Proxy(deps, { get: (target, name) => (name === 'recipients' ? recipients : Reflect.get(target, name)) });
}

/** Unsubscribes are counted on their own path (not the messages stream): today's figure, read at once. */
const unsubscribesToday = async () => (await container().messages.dayCounters(new Date().toISOString().slice(0, 10))).unsubscribed ?? 0;

const ledgerOf = async (id: string) => (await suite.api.get(`/v1/recipients/${id}/ledger`)).body.entries as Array<{ subject: string; from: string | null; to: string }>;

async function pendingConfirmation(label: string) {
  const r = await suite.s.recipient(label, 'DE'); // DE asks for confirmation: the opt-in is pending, a mail goes out
  const mail = (await mailTo(r.email)).filter((m) => m.subject.startsWith('Please confirm')).at(-1)!;
  return { r, confirm: pathOf(hrefs(mail.body.html ?? '').find((l) => l.includes('/confirm/'))!) };
}

describe('two changes of one person at once', () => {
  it('a confirm button clicked twice: both answers say subscribed, one confirmation is ledgered', async () => {
    const { r, confirm } = await pendingConfirmation('double-click');
    const answers = await Promise.all([1, 2, 3].map(() => suite.gw.call(confirm, { method: 'POST' })));
    for (const a of answers) {
      expect(a.status).toBe(200);
      expect(await a.text()).toContain('You are subscribed');
    }
    expect((await ledgerOf(r.id)).filter((e) => e.to === 'opted_in' && e.from === 'pending')).toHaveLength(1);
  });

  it('a confirmation that read the person before another one landed says it is confirmed', async () => {
    const { r } = await pendingConfirmation('stale-confirm');
    const before = (await container().recipients.get(r.id))!;
    expect(await confirmOptIn(container(), r.id, suite.s.topic, evidence)).toBe('confirmed');
    expect(await confirmOptIn(readingFirst(before), r.id, suite.s.topic, evidence)).toBe('already_confirmed');
    expect((await ledgerOf(r.id)).filter((e) => e.to === 'opted_in' && e.from === 'pending')).toHaveLength(1);
  });

  it('"unsubscribe from all" saved twice at once is ledgered and counted once', async () => {
    const r = await suite.s.recipient('stale-prefs');
    const before = (await container().recipients.get(r.id))!;
    const unsubscribedBefore = await unsubscribesToday();
    const change = { unsubscribedAll: true, source: 'preference_page', evidence } as const;
    expect(await changePreferences(container(), before, change, 'recipient')).toBe(true);
    // The second save decided on the person as read before the first: it reads again and finds nothing left to do.
    expect(await changePreferences(container(), before, change, 'recipient')).toBe(false);
    expect((await ledgerOf(r.id)).filter((e) => e.subject === 'unsubscribed_all')).toHaveLength(1);
    // What is left of a change is still made: tracking off, decided on the same stale read.
    expect(await changePreferences(container(), before, { ...change, tracking: false }, 'recipient')).toBe(true);
    expect((await suite.api.get(`/v1/recipients/${r.id}`)).body).toMatchObject({ unsubscribedAll: true, tracking: false });
    expect((await ledgerOf(r.id)).filter((e) => e.subject === 'unsubscribed_all')).toHaveLength(1);
    expect((await unsubscribesToday()) - unsubscribedBefore).toBe(1);
  });
});
