/** Deliverability (ops): the marketing switch with pause and resume (each with a reason), and recent feedback. */
import { useState } from 'preact/hooks';
import type { Ctx } from '../main.tsx';
import { can } from '../roles.ts';
import { ErrorBox, Loading, Page, Status, useAction, useLoad } from '../ui.tsx';

interface MarketingState {
  paused: boolean;
  pause?: { since: string; reason: string; actor?: string };
  history: { at: string; action: 'pause' | 'resume'; actor: string; reason: string }[];
}
interface Feedback {
  at: string;
  kind: 'bounced_hard' | 'bounced_soft' | 'complained';
  address: string;
  detail?: string;
  messageId?: string;
  campaignId?: string;
  topic?: string;
}

const KIND = { bounced_hard: 'Hard bounce', bounced_soft: 'Soft bounce', complained: 'Complaint' } as const;

export function Deliverability({ api, me }: Ctx) {
  const state = useLoad(() => api.get<MarketingState>('/v1/marketing'), []);
  const feedback = useLoad(() => api.get<{ entries: Feedback[] }>('/v1/feedback/recent?limit=50'), []);
  const [reason, setReason] = useState('');
  const [done, setDone] = useState('');
  const toggle = useAction(async (action: 'pause' | 'resume') => {
    try {
      await api.post(`/v1/marketing/${action}`, { reason });
    } finally {
      // Someone else (or the auto-pause) may have flipped it meanwhile: a 409 shows the switch as it is now.
      await state.reload();
    }
    setReason('');
    setDone(action === 'pause' ? 'Marketing is paused. Service mail continues.' : 'Marketing is running again.');
  });
  return (
    <Page title="Deliverability">
      <section class="panel" aria-labelledby="switch-h">
        <h2 id="switch-h">Marketing</h2>
        <Loading state={state} what="the marketing switch">
          {(s) => (
            <>
              <p id="marketing-state" data-state={s.paused ? 'paused' : 'running'} class={s.paused ? 'bad' : 'good'}>
                {s.paused ? `Paused since ${s.pause?.since.slice(0, 16).replace('T', ' ')} by ${s.pause?.actor ?? 'unknown'}: ${s.pause?.reason}` : 'Running: marketing mail goes out.'}
              </p>
              {can(me.roles, 'marketing.switch') && (
                <form
                  class="inline"
                  onSubmit={(e) => {
                    e.preventDefault();
                    setDone('');
                    void toggle.run(s.paused ? 'resume' : 'pause');
                  }}
                >
                  <label for="switch-reason">{s.paused ? 'Reason to resume' : 'Reason to pause'}</label>
                  <input id="switch-reason" required minLength={3} size={40} value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
                  <button type="submit" class={s.paused ? undefined : 'danger'} disabled={toggle.busy}>
                    {s.paused ? 'Resume marketing' : 'Pause marketing'}
                  </button>
                </form>
              )}
              <ErrorBox error={toggle.error} title="The switch did not move" />
              <Status id="switch-status">{done}</Status>
              {s.history.length > 0 && (
                <details>
                  <summary>Pauses and resumes ({s.history.length})</summary>
                  <ol class="history">
                    {s.history.map((h, i) => (
                      <li key={i}>
                        {h.at.slice(0, 16).replace('T', ' ')} {h.action} by {h.actor}: {h.reason}
                      </li>
                    ))}
                  </ol>
                </details>
              )}
            </>
          )}
        </Loading>
      </section>
      <section class="panel" aria-labelledby="recent-h">
        <h2 id="recent-h">Recent bounces and complaints</h2>
        <Loading state={feedback} what="recent feedback">
          {(f) =>
            f.entries.length === 0 ? (
              <p class="muted">None in the last 30 days.</p>
            ) : (
              <table id="recent">
                <caption class="sr-only">Newest first; addresses masked</caption>
                <thead>
                  <tr>
                    <th scope="col">When (UTC)</th>
                    <th scope="col">Kind</th>
                    <th scope="col">Address (masked)</th>
                    <th scope="col">Detail</th>
                    <th scope="col">Campaign or topic</th>
                  </tr>
                </thead>
                <tbody>
                  {f.entries.map((e, i) => (
                    <tr key={i}>
                      <th scope="row">{e.at.slice(0, 19).replace('T', ' ')}</th>
                      <td>{KIND[e.kind]}</td>
                      <td>{e.address}</td>
                      <td>{e.detail ?? ''}</td>
                      <td>{e.campaignId ?? e.topic ?? ''}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )
          }
        </Loading>
      </section>
    </Page>
  );
}
