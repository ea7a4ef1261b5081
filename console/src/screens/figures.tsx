/**
 * Figures: `GET /v1/metrics` for everything, a topic or a campaign over a range of days — the rates against SES's
 * thresholds (stated in words, not only colour), charts over time, totals by class and the top hold reasons.
 */
import { useMemo, useState } from 'preact/hooks';
import { q } from '../api.ts';
import type { Ctx } from '../main.tsx';
import { day, level, num, pct, reasonLabel } from '../format.ts';
import { useRoute } from '../router.ts';
import { Loading, Page, useLoad } from '../ui.tsx';
import { DailyChart } from './chart.tsx';

interface ClassCount {
  total: number;
  service: number;
  marketing: number;
}
interface FiguresT {
  sent: ClassCount;
  held: ClassCount & { byReason: Record<string, number> };
  failed: ClassCount;
  deferred?: ClassCount;
  late?: number;
  delivered: ClassCount;
  bouncedHard: ClassCount;
  bouncedSoft: ClassCount;
  complained: ClassCount;
  /** SES's own account-level list (docs/operations.md): should stay 0, the configuration set turns that list off. */
  sesSuppressed?: ClassCount;
  opens: Engagement;
  clicks: Engagement;
  unsubscribed: ClassCount & { bySource: Record<string, number> };
}
/** Human and machine engagement, each by class (docs/operations.md: human vs machine). */
interface Engagement {
  total: ClassCount;
  unique: ClassCount;
  human: ClassCount;
  machine: ClassCount;
  uniqueHuman: ClassCount;
}
type Rates = Record<'bounce' | 'complaint' | 'open' | 'click' | 'unsubscribe', number | null>;
export interface Metrics {
  from: string;
  to: string;
  days: { day: string; figures: FiguresT; rates: Rates }[];
  totals: FiguresT;
  rates: Rates;
  holdReasons: { reason: string; count: number }[];
  thresholds: { sesReview: { bounce: number; complaint: number }; warning: { bounce: number; complaint: number } };
  marketing: { paused: boolean; pause?: { since: string; reason: string; actor?: string } };
}

const WORDS = { ok: 'Below the warning line', warn: 'Near SES review: look at it', over: 'Over SES review threshold', none: 'Nothing sent yet' } as const;

export function RateCard(props: { name: string; label: string; rate: number | null; warning: number; review: number }) {
  const l = level(props.rate, props.warning, props.review);
  return (
    <div class="rate" data-rate={props.name} data-level={l}>
      <h3>{props.label}</h3>
      <p class="value">{pct(props.rate)}</p>
      <p class="judge">
        {WORDS[l]} ({pct(props.review, props.review < 0.01 ? 1 : 0)})
      </p>
    </div>
  );
}

const ROWS: [string, string, (f: FiguresT) => ClassCount][] = [
  ['sent', 'Sent', (f) => f.sent],
  ['delivered', 'Delivered', (f) => f.delivered],
  ['held', 'Held back', (f) => f.held],
  ['failed', 'Failed', (f) => f.failed],
  ['deferred', 'Deferred (quiet hours, local time)', (f) => f.deferred ?? { total: 0, service: 0, marketing: 0 }],
  ['bouncedHard', 'Hard bounces', (f) => f.bouncedHard],
  ['bouncedSoft', 'Soft bounces', (f) => f.bouncedSoft],
  ['complained', 'Complaints', (f) => f.complained],
  ['sesSuppressed', 'Dropped by SES’s account list', (f) => f.sesSuppressed ?? { total: 0, service: 0, marketing: 0 }],
  ['opensUniqueHuman', 'Opened by a person (unique)', (f) => f.opens.uniqueHuman],
  ['opensHuman', 'Opens by people', (f) => f.opens.human],
  ['opensMachine', 'Opens by machines', (f) => f.opens.machine],
  ['clicksUniqueHuman', 'Clicked by a person (unique)', (f) => f.clicks.uniqueHuman],
  ['clicksHuman', 'Clicks by people', (f) => f.clicks.human],
  ['clicksMachine', 'Clicks by machines', (f) => f.clicks.machine],
  ['unsubscribed', 'Unsubscribed', (f) => f.unsubscribed],
];

export function Figures({ api }: Ctx) {
  const { search } = useRoute();
  const [range, setRange] = useState(() => {
    const to = new Date();
    return { from: day(new Date(to.getTime() - 29 * 86400_000)), to: day(to), topic: '', campaign: search.get('campaign') ?? '' };
  });
  const [form, setForm] = useState(range);
  const metrics = useLoad(() => api.get<Metrics>(`/v1/metrics${q({ from: range.from, to: range.to, topic: range.topic, campaign: range.campaign })}`), [range]);
  const campaigns = useLoad(() => api.get<{ campaigns: { id: string; name: string }[] }>('/v1/campaigns?limit=50'), []);
  const topics = useLoad(() => api.get<{ topics: { id: string; name: string }[] }>('/v1/topics'), []);

  return (
    <Page title="Figures">
      <form
        class="panel row"
        aria-label="Range"
        onSubmit={(e) => {
          e.preventDefault();
          setRange(form);
        }}
      >
        <div>
          <label for="fig-from">From</label>
          <input id="fig-from" type="date" value={form.from} onInput={(e) => setForm({ ...form, from: e.currentTarget.value })} />
        </div>
        <div>
          <label for="fig-to">To</label>
          <input id="fig-to" type="date" value={form.to} onInput={(e) => setForm({ ...form, to: e.currentTarget.value })} />
        </div>
        <div>
          <label for="fig-topic">Topic</label>
          <select id="fig-topic" value={form.topic} onChange={(e) => setForm({ ...form, topic: e.currentTarget.value, campaign: '' })}>
            <option value="">all topics</option>
            {(topics.data?.topics ?? []).map((t) => (
              <option key={t.id} value={t.id}>
                {t.name}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label for="fig-campaign">Campaign</label>
          <select id="fig-campaign" value={form.campaign} onChange={(e) => setForm({ ...form, campaign: e.currentTarget.value, topic: '' })}>
            <option value="">all campaigns</option>
            {/* A campaign opened from its own page may be older than the 50 listed, or the list not loaded yet. */}
            {form.campaign && !(campaigns.data?.campaigns ?? []).some((c) => c.id === form.campaign) && <option value={form.campaign}>{form.campaign}</option>}
            {(campaigns.data?.campaigns ?? []).map((c) => (
              <option key={c.id} value={c.id}>
                {c.name}
              </option>
            ))}
          </select>
        </div>
        <button type="submit">Show</button>
      </form>
      <Loading state={metrics} what="the figures">
        {(m) => <MetricsView m={m} />}
      </Loading>
    </Page>
  );
}

function MetricsView({ m }: { m: Metrics }) {
  const days = useMemo(() => m.days.map((d) => d.day), [m]);
  const delivery = useMemo(
    () => [
      { label: 'Sent', color: '#1d4ed8', values: m.days.map((d) => d.figures.sent.total) },
      { label: 'Delivered', color: '#15803d', values: m.days.map((d) => d.figures.delivered.total) },
      { label: 'Hard bounces', color: '#b91c1c', values: m.days.map((d) => d.figures.bouncedHard.total) },
      { label: 'Complaints', color: '#7e22ce', values: m.days.map((d) => d.figures.complained.total) },
    ],
    [m],
  );
  const engagement = useMemo(
    () => [
      { label: 'Opened by a person', color: '#0369a1', values: m.days.map((d) => d.figures.opens.uniqueHuman.total) },
      { label: 'Clicked by a person', color: '#a16207', values: m.days.map((d) => d.figures.clicks.uniqueHuman.total) },
      { label: 'Machine clicks', color: '#6b7280', values: m.days.map((d) => d.figures.clicks.machine.total) },
      { label: 'Unsubscribes', color: '#be123c', values: m.days.map((d) => d.figures.unsubscribed.total) },
    ],
    [m],
  );
  return (
    <>
      <p role="status" aria-live="polite" id="figures-status">
        Figures from {m.from} to {m.to}.{m.marketing.paused ? ' Marketing is paused.' : ''}
      </p>
      <section class="panel" aria-labelledby="rates-h">
        <h2 id="rates-h">Rates</h2>
        <div class="rates">
          <RateCard name="bounce" label="Bounce rate" rate={m.rates.bounce} warning={m.thresholds.warning.bounce} review={m.thresholds.sesReview.bounce} />
          <RateCard name="complaint" label="Complaint rate" rate={m.rates.complaint} warning={m.thresholds.warning.complaint} review={m.thresholds.sesReview.complaint} />
          <div class="rate" data-rate="open">
            <h3>Open rate</h3>
            <p class="value">{pct(m.rates.open)}</p>
            <p class="judge">people only: {num(m.totals.opens.machine.total)} machine opens left out</p>
          </div>
          <div class="rate" data-rate="click">
            <h3>Click rate</h3>
            <p class="value">{pct(m.rates.click)}</p>
            <p class="judge">people only: {num(m.totals.clicks.machine.total)} machine clicks left out</p>
          </div>
        </div>
      </section>
      <section class="panel" aria-labelledby="charts-h">
        <h2 id="charts-h">Over time</h2>
        <DailyChart id="chart-delivery" caption="Sending and delivery per day" days={days} series={delivery} />
        <DailyChart id="chart-engagement" caption="Engagement and opt-outs per day" days={days} series={engagement} />
      </section>
      <div class="columns">
        <section class="panel" aria-labelledby="totals-h">
          <h2 id="totals-h">Totals</h2>
          <table id="totals">
            <caption class="sr-only">Totals of the range by message class</caption>
            <thead>
              <tr>
                <th scope="col">Figure</th>
                <th scope="col" class="num">
                  Total
                </th>
                <th scope="col" class="num">
                  Service
                </th>
                <th scope="col" class="num">
                  Marketing
                </th>
              </tr>
            </thead>
            <tbody>
              {ROWS.map(([k, label, of]) => {
                const v = of(m.totals);
                return (
                  <tr key={k} data-figure={k}>
                    <th scope="row">{label}</th>
                    <td class="num">{num(v.total)}</td>
                    <td class="num">{num(v.service)}</td>
                    <td class="num">{num(v.marketing)}</td>
                  </tr>
                );
              })}
              <tr data-figure="late">
                <th scope="row">Sent late (local-time campaigns: their time had passed at launch)</th>
                <td class="num">{num(m.totals.late ?? 0)}</td>
                <td class="num">–</td>
                <td class="num">–</td>
              </tr>
              <tr data-figure="frequency_capped">
                <th scope="row">Held: frequency capped</th>
                <td class="num">{num(m.totals.held.byReason.frequency_capped ?? 0)}</td>
                <td class="num">–</td>
                <td class="num">{num(m.totals.held.byReason.frequency_capped ?? 0)}</td>
              </tr>
            </tbody>
          </table>
        </section>
        <section class="panel" aria-labelledby="holds-h">
          <h2 id="holds-h">Top hold reasons</h2>
          {m.holdReasons.length === 0 ? (
            <p class="muted">Nothing held back in this range.</p>
          ) : (
            <table id="holds">
              <thead>
                <tr>
                  <th scope="col">Reason</th>
                  <th scope="col" class="num">
                    Held
                  </th>
                </tr>
              </thead>
              <tbody>
                {m.holdReasons.map((h) => (
                  <tr key={h.reason}>
                    <th scope="row">{reasonLabel(h.reason)}</th>
                    <td class="num">{num(h.count)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      </div>
    </>
  );
}
