/** Delivery settings: quiet hours (in each recipient's own time zone), the frequency cap, the default time zone. */
import { useEffect, useState } from 'preact/hooks';
import type { Ctx } from '../main.tsx';
import { ErrorBox, Loading, Page, Status, useAction, useLoad } from '../ui.tsx';

interface DeliverySettings {
  quietHours?: { start: string; end: string };
  frequencyCap?: { max: number; days: number };
  defaultTimeZone: string;
  updatedAt?: string;
  updatedBy?: string;
}

export function Delivery({ api }: Ctx) {
  const settings = useLoad(() => api.get<DeliverySettings>('/v1/settings/delivery'), []);
  const [f, setF] = useState({ quiet: false, start: '21:00', end: '08:00', cap: false, max: '3', days: '7', zone: 'UTC' });
  const [done, setDone] = useState('');
  useEffect(() => {
    const s = settings.data;
    if (!s) return;
    setF({
      quiet: s.quietHours !== undefined,
      start: s.quietHours?.start ?? '21:00',
      end: s.quietHours?.end ?? '08:00',
      cap: s.frequencyCap !== undefined,
      max: String(s.frequencyCap?.max ?? 3),
      days: String(s.frequencyCap?.days ?? 7),
      zone: s.defaultTimeZone,
    });
  }, [settings.data]);
  const save = useAction(async () => {
    await api.put<DeliverySettings>('/v1/settings/delivery', {
      quietHours: f.quiet ? { start: f.start, end: f.end } : null,
      frequencyCap: f.cap ? { max: Number(f.max), days: Number(f.days) } : null,
      defaultTimeZone: f.zone,
    });
    await settings.reload();
    setDone('Saved. It applies from the next mail decided; mail already deferred is decided again when it is due.');
  });
  return (
    <Page title="Quiet hours and caps">
      <Loading state={settings} what="the delivery settings">
        {(s) => (
          <form
            class="panel"
            aria-labelledby="delivery-h"
            onSubmit={(e) => {
              e.preventDefault();
              setDone('');
              void save.run();
            }}
          >
            <h2 id="delivery-h">Marketing timing</h2>
            <p class="help">Service mail (receipts, password resets) is never deferred, capped or counted.</p>
            <fieldset>
              <legend>Quiet hours</legend>
              <label class="check">
                <input id="quiet-on" type="checkbox" checked={f.quiet} onChange={(e) => setF({ ...f, quiet: e.currentTarget.checked })} /> No marketing during quiet hours, read in
                each recipient’s own time zone (deferred to their end, never dropped)
              </label>
              <div class="grid2">
                <div>
                  <label for="quiet-start">From</label>
                  <input id="quiet-start" type="time" disabled={!f.quiet} value={f.start} onInput={(e) => setF({ ...f, start: e.currentTarget.value })} />
                </div>
                <div>
                  <label for="quiet-end">Until</label>
                  <input id="quiet-end" type="time" disabled={!f.quiet} value={f.end} onInput={(e) => setF({ ...f, end: e.currentTarget.value })} />
                </div>
              </div>
            </fieldset>
            <fieldset>
              <legend>Frequency cap</legend>
              <label class="check">
                <input id="cap-on" type="checkbox" checked={f.cap} onChange={(e) => setF({ ...f, cap: e.currentTarget.checked })} /> At most so many marketing mails per person (over
                it, mail is held as “frequency capped”)
              </label>
              <div class="grid2">
                <div>
                  <label for="cap-max">Mails</label>
                  <input id="cap-max" type="number" min={1} max={1000} disabled={!f.cap} value={f.max} onInput={(e) => setF({ ...f, max: e.currentTarget.value })} />
                </div>
                <div>
                  <label for="cap-days">In any … days</label>
                  <input id="cap-days" type="number" min={1} max={90} disabled={!f.cap} value={f.days} onInput={(e) => setF({ ...f, days: e.currentTarget.value })} />
                </div>
              </div>
              <p class="help">A topic may set a stricter cap of its own (Topics, or <code>PUT /v1/topics/&#123;id&#125;</code>).</p>
            </fieldset>
            <label for="default-zone">Default time zone</label>
            <input id="default-zone" required value={f.zone} onInput={(e) => setF({ ...f, zone: e.currentTarget.value })} aria-describedby="default-zone-help" />
            <p id="default-zone-help" class="help">
              For people with no time zone of their own whose country has several (an IANA name, e.g. <code>America/New_York</code>).
            </p>
            <ErrorBox error={save.error} title="The settings were not saved" />
            <button type="submit" disabled={save.busy}>
              Save
            </button>
            <Status>{done}</Status>
            {s.updatedAt && (
              <p class="muted">
                Last changed {s.updatedAt.slice(0, 16).replace('T', ' ')} by {s.updatedBy}.
              </p>
            )}
          </form>
        )}
      </Loading>
    </Page>
  );
}
