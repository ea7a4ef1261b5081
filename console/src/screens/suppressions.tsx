/**
 * Suppressions (ops, privacy): look up an address, see each suppression and why, lift one — with a reason for a
 * complaint, which the API requires (and ledgers); for any other the reason is optional.
 */
import { useState } from 'preact/hooks';
import { q } from '../api.ts';
import type { Ctx } from '../main.tsx';
import { reasonLabel } from '../format.ts';
import { ErrorBox, Page, Status, useAction } from '../ui.tsx';

interface Suppression {
  reason: 'hard_bounce' | 'complaint' | 'manual' | 'erased' | 'soft_bounce';
  scope: 'all' | 'marketing';
  createdAt: string;
  expiresAt?: string;
  source: string;
  note?: string;
}

/** The API's rule (services/suppressions.ts): a complaint is lifted only with a reason that is not blank. */
const needsNote = (s: Suppression) => s.reason === 'complaint';
/** The longest note the API takes (SuppressionLiftSchema). */
const NOTE_MAX = 500;

export function Suppressions({ api }: Ctx) {
  const [email, setEmail] = useState('');
  const [shown, setShown] = useState<{ email: string; list: Suppression[] } | undefined>();
  const [notes, setNotes] = useState<Record<string, string>>({});
  const [done, setDone] = useState('');
  const search = useAction(async (address: string) => {
    const r = await api.get<{ suppressions: Suppression[] }>(`/v1/suppressions${q({ email: address })}`);
    setShown({ email: address, list: r.suppressions });
  });
  const lift = useAction(async (s: Suppression) => {
    if (!shown) return;
    // Left empty (or blank), no note is sent rather than "": the API's optional field means no reason given.
    const note = notes[s.reason]?.trim();
    await api.del('/v1/suppressions', { email: shown.email, reason: s.reason, ...(note ? { note } : {}) });
    setDone(`Lifted the ${reasonLabel(s.reason)} suppression.`);
    await search.run(shown.email);
  });
  return (
    <Page title="Suppressions">
      <form
        class="panel inline"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          setDone('');
          void search.run(email.trim());
        }}
      >
        <label for="sup-email">Address</label>
        <input id="sup-email" type="email" required size={32} value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
        <button type="submit" disabled={search.busy}>
          Search
        </button>
      </form>
      <ErrorBox error={search.error} title="Could not search" />
      <Status id="sup-status">{done}</Status>
      {shown && (
        <section class="panel" aria-labelledby="sup-h">
          <h2 id="sup-h">Suppressions of {shown.email}</h2>
          {shown.list.length === 0 ? (
            <p>None: mail to this address is not suppressed.</p>
          ) : (
            <ul class="plain" id="sup-list">
              {shown.list.map((s) => (
                <li key={s.reason} class="card" data-reason={s.reason}>
                  <h3>{reasonLabel(s.reason)}</h3>
                  <p>
                    Blocks {s.scope === 'all' ? 'all mail' : 'marketing only'} · since {s.createdAt.slice(0, 16).replace('T', ' ')} · source {s.source}
                    {s.expiresAt ? ` · lapses ${s.expiresAt.slice(0, 10)}` : ''}
                    {s.note ? ` · note: ${s.note}` : ''}
                  </p>
                  {needsNote(s) && (
                    <p class="help" id={`lift-${s.reason}-help`}>
                      The person reported a mail as spam: to lift this, say why they may get marketing again. The reason goes into their consent ledger.
                    </p>
                  )}
                  {s.reason !== 'erased' && (
                    <form
                      class="inline"
                      onSubmit={(e) => {
                        e.preventDefault();
                        void lift.run(s);
                      }}
                    >
                      <label for={`lift-${s.reason}`}>{needsNote(s) ? 'Why lift it (required for a complaint)' : 'Why lift it (optional)'}</label>
                      {/* For a complaint, as the API: any reason but a blank one (spaces alone are refused there too). */}
                      <input
                        id={`lift-${s.reason}`}
                        size={40}
                        maxLength={NOTE_MAX}
                        required={needsNote(s)}
                        pattern={needsNote(s) ? '.*\\S.*' : undefined}
                        title={needsNote(s) ? 'A reason is needed to lift a complaint.' : undefined}
                        aria-describedby={needsNote(s) ? `lift-${s.reason}-help` : undefined}
                        value={notes[s.reason] ?? ''}
                        onInput={(e) => setNotes({ ...notes, [s.reason]: e.currentTarget.value })}
                      />
                      <button type="submit" class="secondary" disabled={lift.busy}>
                        Lift suppression
                      </button>
                    </form>
                  )}
                </li>
              ))}
            </ul>
          )}
          <ErrorBox error={lift.error} title="Not lifted" />
        </section>
      )}
    </Page>
  );
}
