/**
 * People (privacy): find a person by address; their consent per topic and the ledger that proves it; export
 * everything held about them as a JSON download; erase them (after a confirmation naming what goes).
 */
import { useState } from 'preact/hooks';
import { q } from '../api.ts';
import type { Ctx } from '../main.tsx';
import { reasonLabel } from '../format.ts';
import { navigate } from '../router.ts';
import { Confirm, ErrorBox, Loading, Page, Status, useAction, useLoad } from '../ui.tsx';

interface Recipient {
  id: string;
  email: string;
  country?: string;
  locale?: string;
  jurisdiction: 'strict' | 'standard';
  consents: Record<string, { status: string; updatedAt: string; confirmedAt?: string; source: string }>;
  unsubscribedAll: boolean;
  tracking: boolean;
  doNotSell: boolean;
  suppressions: { reason: string; scope: string; createdAt: string }[];
  createdAt: string;
}
interface LedgerEntry {
  at: string;
  subject: string;
  from: string | null;
  to: string | null;
  source: string;
  jurisdiction: string;
  wording?: string;
  evidenceAt?: string;
  ipPseudonym?: string;
  userAgent?: string;
  actor?: string;
  note?: string;
}

export function People({ api }: Ctx) {
  const [email, setEmail] = useState('');
  const find = useAction(async (address: string) => {
    const r = await api.get<Recipient>(`/v1/recipients${q({ email: address })}`);
    navigate(`people/${r.id}`);
  });
  return (
    <Page title="People">
      <form
        class="panel inline"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          void find.run(email.trim());
        }}
      >
        <label for="person-email">Find a person by address</label>
        <input id="person-email" type="email" required size={32} value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
        <button type="submit" disabled={find.busy}>
          Find
        </button>
      </form>
      <ErrorBox error={find.error} title="Not found" />
    </Page>
  );
}

function download(name: string, data: unknown) {
  const url = URL.createObjectURL(new Blob([JSON.stringify(data, null, 2)], { type: 'application/json' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function Person({ api, id }: Ctx & { id: string }) {
  const person = useLoad(() => api.get<Recipient>(`/v1/recipients/${encodeURIComponent(id)}`), [id]);
  const [ledger, setLedger] = useState<{ entries: LedgerEntry[]; next?: string } | undefined>();
  const ledgerLoad = useLoad(async () => {
    const r = await api.get<{ entries: LedgerEntry[]; next?: string }>(`/v1/recipients/${encodeURIComponent(id)}/ledger`);
    setLedger(r);
    return r;
  }, [id]);
  const more = useAction(async () => {
    if (!ledger?.next) return;
    const r = await api.get<{ entries: LedgerEntry[]; next?: string }>(`/v1/recipients/${encodeURIComponent(id)}/ledger${q({ cursor: ledger.next })}`);
    setLedger({ entries: [...ledger.entries, ...r.entries], next: r.next });
  });
  const [confirm, setConfirm] = useState(false);
  const [done, setDone] = useState('');
  const [erased, setErased] = useState<{ removed: Record<string, number>; tombstone: boolean } | undefined>();
  const exportIt = useAction(async () => {
    const data = await api.get(`/v1/recipients/${encodeURIComponent(id)}/export`);
    download(`sendwell-export-${id}.json`, data);
    setDone('Export downloaded.');
  });
  const erase = useAction(async () => {
    const r = await api.del<{ removed: Record<string, number>; tombstone: boolean }>(`/v1/recipients/${encodeURIComponent(id)}`);
    setErased(r);
    setDone('Erased. Only a hashed tombstone of the address remains, so suppressions still hold.');
  });

  if (erased)
    return (
      <Page title="Person erased">
        <Status id="person-status">{done}</Status>
        <dl class="figures" id="erased">
          {Object.entries(erased.removed).map(([k, v]) => (
            <div key={k}>
              <dt>{k.replace(/([A-Z])/g, ' $1').toLowerCase()}</dt>
              <dd>{v}</dd>
            </div>
          ))}
        </dl>
      </Page>
    );

  return (
    <Page title={person.data ? person.data.email : 'Person'}>
      <Loading state={person} what="the person">
        {(p) => (
          <>
            <div class="actions">
              <button type="button" class="secondary" disabled={exportIt.busy} onClick={() => void exportIt.run()}>
                Export data (JSON)
              </button>
              <button type="button" class="danger" disabled={erase.busy} onClick={() => setConfirm(true)}>
                Erase this person
              </button>
            </div>
            <ErrorBox error={exportIt.error ?? erase.error} />
            <Status id="person-status">{done}</Status>
            <section class="panel" aria-labelledby="profile-h">
              <h2 id="profile-h">Profile</h2>
              <dl class="pairs">
                <dt>Id</dt>
                <dd>
                  <code>{p.id}</code>
                </dd>
                <dt>Country</dt>
                <dd>
                  {p.country ?? 'unknown'} ({p.jurisdiction === 'strict' ? 'opt-in must be confirmed' : 'standard rules'})
                </dd>
                <dt>Unsubscribed from all marketing</dt>
                <dd>{p.unsubscribedAll ? 'yes' : 'no'}</dd>
                <dt>Tracking</dt>
                <dd>{p.tracking ? 'allowed' : 'off'}</dd>
                <dt>Do not sell or share</dt>
                <dd>{p.doNotSell ? 'yes' : 'no'}</dd>
                <dt>Suppressions</dt>
                <dd>{p.suppressions.length ? p.suppressions.map((s) => `${reasonLabel(s.reason)} (${s.scope})`).join(', ') : 'none'}</dd>
              </dl>
            </section>
            <section class="panel" aria-labelledby="consent-h">
              <h2 id="consent-h">Consent</h2>
              {Object.keys(p.consents).length === 0 ? (
                <p class="muted">No topic consents.</p>
              ) : (
                <table id="consents">
                  <thead>
                    <tr>
                      <th scope="col">Topic</th>
                      <th scope="col">Status</th>
                      <th scope="col">Since</th>
                      <th scope="col">Confirmed</th>
                      <th scope="col">Source</th>
                    </tr>
                  </thead>
                  <tbody>
                    {Object.entries(p.consents).map(([topic, c]) => (
                      <tr key={topic} data-topic={topic}>
                        <th scope="row">{topic}</th>
                        <td>{reasonLabel(c.status)}</td>
                        <td>{c.updatedAt.slice(0, 16).replace('T', ' ')}</td>
                        <td>{c.confirmedAt?.slice(0, 16).replace('T', ' ') ?? '–'}</td>
                        <td>{c.source}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </section>
          </>
        )}
      </Loading>
      <section class="panel" aria-labelledby="ledger-h">
        <h2 id="ledger-h">Consent ledger (proof of consent)</h2>
        <p class="help">Every change, oldest first: what changed, when, from where, with which wording. IP addresses are kept only as keyed pseudonyms.</p>
        <Loading state={ledgerLoad} what="the ledger">
          {() =>
            !ledger || ledger.entries.length === 0 ? (
              <p class="muted">No entries.</p>
            ) : (
              <table id="ledger" class="compact">
                <thead>
                  <tr>
                    <th scope="col">When (UTC)</th>
                    <th scope="col">What</th>
                    <th scope="col">Change</th>
                    <th scope="col">Source</th>
                    <th scope="col">Evidence</th>
                  </tr>
                </thead>
                <tbody>
                  {ledger.entries.map((e, i) => (
                    <tr key={i}>
                      <th scope="row">{e.at.slice(0, 19).replace('T', ' ')}</th>
                      <td>{e.subject}</td>
                      <td>
                        {e.from ?? '–'} → {e.to ?? '–'}
                      </td>
                      <td>
                        {e.source}
                        {e.actor ? ` (${e.actor})` : ''}
                      </td>
                      <td>
                        {[e.wording && `wording ${e.wording}`, e.evidenceAt && `given ${e.evidenceAt.slice(0, 16).replace('T', ' ')}`, e.ipPseudonym && `IP pseudonym ${e.ipPseudonym.slice(0, 10)}…`, e.note]
                          .filter(Boolean)
                          .join(' · ') || '–'}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )
          }
        </Loading>
        {ledger?.next && (
          <button type="button" class="secondary" disabled={more.busy} onClick={() => void more.run()}>
            Load more
          </button>
        )}
        <ErrorBox error={more.error} title="More of the ledger could not be read" />
      </section>
      <Confirm
        open={confirm}
        title="Erase this person?"
        confirm="Erase permanently"
        danger
        onCancel={() => setConfirm(false)}
        onConfirm={() => {
          setConfirm(false);
          void erase.run();
        }}
      >
        <p>
          Their profile, consents, ledger and messages are deleted everywhere. Only a hashed tombstone of the address stays, so their suppressions keep working. This cannot be
          undone; export first if they asked for a copy.
        </p>
      </Confirm>
    </Page>
  );
}
