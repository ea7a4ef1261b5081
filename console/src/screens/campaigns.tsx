/**
 * Campaigns: the list; the composer (topic, template, audience filter, and before anything is sent: how many are
 * eligible, how many are held back and why); the detail with test send, schedule, launch, and live progress (sent,
 * held by reason, failed, rate, ETA) with pause, resume and cancel; A/B tests: variants, holdout and test share on the
 * composer, figures per variant and the winner (or a button to pick it) on the detail.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Ctx } from '../main.tsx';
import { can } from '../roles.ts';
import { duration, num, parseAttributes, reasonLabel } from '../format.ts';
import { navigate } from '../router.ts';
import { Badge, Confirm, ErrorBox, Link, Loading, Page, Status, useAction, useLoad } from '../ui.tsx';
import { timeline } from '../local-time.ts';

interface Progress {
  audience: number;
  audienceComplete: boolean;
  excluded: number;
  targeted: number;
  sent: number;
  held: Record<string, number>;
  heldTotal: number;
  failed: number;
  remaining: number;
  scheduled?: number;
  deferred?: number;
  late?: number;
  nextDueAt?: string;
  timeline?: { at: string; scheduled: number; deferred: number }[];
  ratePerSecond?: number;
  etaSeconds?: number;
  /** A/B tests: recipients held out, waiting for the winner, and the figures per variant. */
  holdout?: number;
  awaitingWinner?: number;
  variants?: VariantFigures[];
  /** Opens and clicks, human and machine apart (one campaign's answer only). */
  engagement?: Record<'opens' | 'clicks', { total: number; human: number; machine: number; uniqueHuman: number }>;
}

interface VariantFigures {
  id: string;
  sent: number;
  heldTotal: number;
  failed: number;
  delivered?: number;
  opensUniqueHuman?: number;
  clicksUniqueHuman?: number;
  openRate?: number | null;
  clickRate?: number | null;
}

interface Variant {
  id: string;
  template?: string;
  subject?: string;
  weight: number;
}

export interface Campaign {
  id: string;
  name: string;
  topic?: string;
  template: string;
  class: 'service' | 'marketing';
  status: 'draft' | 'scheduled' | 'sending' | 'paused' | 'completed' | 'cancelled';
  audience?: { countries?: string[]; attributes?: Record<string, unknown>; segment?: string };
  sendAt?: string;
  localTime?: boolean;
  pauseReason?: string;
  createdAt: string;
  variants?: Variant[];
  holdout?: number;
  test?: { share: number; metric: 'humanOpens' | 'clicks'; decideAfterSeconds: number };
  decision?: { variant: string; reason: 'metric' | 'tie' | 'tooLittleData' | 'manual'; at: string; by?: string };
  progress: Progress;
  history?: { at: string; action: string; actor: string; reason?: string }[];
}

/** What the campaign preview endpoints answer: who would get it now, and who would not, and why. */
interface AudiencePreview {
  audience: number;
  excluded: number;
  eligible: number;
  deferred?: number;
  held: Record<string, number>;
  complete: boolean;
}

export function Campaigns({ api, me }: Ctx) {
  const list = useLoad(() => api.get<{ campaigns: Campaign[] }>('/v1/campaigns?limit=50'), []);
  return (
    <Page
      title="Campaigns"
      actions={
        can(me.roles, 'campaigns.create') ? (
          <Link to="campaigns/new" class="button">
            New campaign
          </Link>
        ) : undefined
      }
    >
      <Loading state={list} what="campaigns">
        {(d) =>
          d.campaigns.length === 0 ? (
            <p>No campaigns yet.</p>
          ) : (
            <table>
              <caption class="sr-only">Campaigns, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">Campaign</th>
                  <th scope="col">Status</th>
                  <th scope="col">Topic</th>
                  <th scope="col">Template</th>
                  <th scope="col" class="num">
                    Sent / targeted
                  </th>
                  <th scope="col">Created</th>
                </tr>
              </thead>
              <tbody>
                {d.campaigns.map((c) => (
                  <tr key={c.id}>
                    <th scope="row">
                      <Link to={`campaigns/${c.id}`}>{c.name}</Link>
                    </th>
                    <td>
                      <Badge status={c.status} />
                    </td>
                    <td>{c.topic ?? (c.class === 'service' ? 'everyone (service)' : '–')}</td>
                    <td>{c.template}</td>
                    <td class="num">
                      {num(c.progress.sent)} / {num(c.progress.targeted)}
                    </td>
                    <td>{c.createdAt.slice(0, 16).replace('T', ' ')}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </Loading>
    </Page>
  );
}

function HeldTable(props: { held: Record<string, number>; caption: string; id?: string }) {
  const rows = Object.entries(props.held).filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1]);
  if (rows.length === 0) return <p class="muted">Nobody held back.</p>;
  return (
    <table id={props.id} class="compact">
      <caption>{props.caption}</caption>
      <thead>
        <tr>
          <th scope="col">Reason</th>
          <th scope="col" class="num">
            People
          </th>
        </tr>
      </thead>
      <tbody>
        {rows.map(([reason, n]) => (
          <tr key={reason} data-reason={reason}>
            <th scope="row">{reasonLabel(reason)}</th>
            <td class="num">{num(n)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function AudienceSummary({ preview }: { preview: AudiencePreview }) {
  return (
    <div id="audience-preview">
      <dl class="figures">
        <div>
          <dt>Eligible now</dt>
          <dd data-figure="eligible">{num(preview.eligible)}</dd>
        </div>
        <div>
          <dt>Held back</dt>
          <dd data-figure="held">{num(Object.values(preview.held).reduce((a, b) => a + b, 0))}</dd>
        </div>
        <div>
          <dt>In quiet hours now (deferred)</dt>
          <dd data-figure="deferred">{num(preview.deferred ?? 0)}</dd>
        </div>
        <div>
          <dt>Left out by the filter or segment</dt>
          <dd data-figure="excluded">{num(preview.excluded)}</dd>
        </div>
        <div>
          <dt>Audience</dt>
          <dd data-figure="audience">{num(preview.audience)}</dd>
        </div>
      </dl>
      {!preview.complete && <p class="muted">Counted from a sample of the audience: the figures are at least these.</p>}
      <HeldTable held={preview.held} caption="Held back, by reason" id="preview-held" />
    </div>
  );
}

export function CampaignComposer({ api }: Ctx) {
  const templates = useLoad(() => api.get<{ templates: { id: string; class: string; topic?: string; subject: string }[] }>('/v1/templates'), []);
  const topics = useLoad(() => api.get<{ topics: { id: string; name: string }[] }>('/v1/topics'), []);
  const segments = useLoad(() => api.get<{ segments: { id: string; name: string }[] }>('/v1/segments'), []);
  const [f, setF] = useState({ name: '', template: '', topic: '', countries: '', attributes: '', segment: '', reason: '', rate: '', data: '', localTime: false, wall: '' });
  const [ab, setAb] = useState<AbForm>(NO_AB);
  const [preview, setPreview] = useState<AudiencePreview | undefined>();
  const [previewError, setPreviewError] = useState<unknown>();
  const seq = useRef(0);
  const tpl = templates.data?.templates.find((t) => t.id === f.template);
  const klass = tpl?.class === 'service' ? 'service' : 'marketing';

  const audience = () => {
    const countries = f.countries.split(/[\s,]+/).map((c) => c.trim().toUpperCase()).filter(Boolean);
    const attributes = parseAttributes(f.attributes);
    if ('error' in attributes) throw new Error(attributes.error as string);
    const a: Record<string, unknown> = {};
    if (countries.length) a.countries = countries;
    if (Object.keys(attributes).length) a.attributes = attributes;
    if (f.segment) a.segment = f.segment;
    return Object.keys(a).length ? a : undefined;
  };

  useEffect(() => {
    if (!f.template) return;
    const n = ++seq.current;
    const timer = setTimeout(async () => {
      try {
        const aud = audience();
        const p = await api.post<AudiencePreview>('/v1/campaigns/preview', { template: f.template, ...(f.topic ? { topic: f.topic } : {}), class: klass, ...(aud ? { audience: aud } : {}) });
        if (n === seq.current) {
          setPreview(p);
          setPreviewError(undefined);
        }
      } catch (e) {
        if (n === seq.current) {
          setPreview(undefined);
          setPreviewError(e);
        }
      }
    }, 350);
    return () => clearTimeout(timer);
  }, [f.template, f.topic, f.countries, f.attributes, f.segment]);

  const create = useAction(async () => {
    const aud = audience();
    let data: unknown;
    try {
      data = f.data.trim() ? JSON.parse(f.data) : undefined;
    } catch {
      throw new Error('The template values are not valid JSON: write them as {"offer": "20 % off"}.');
    }
    const c = await api.post<Campaign>('/v1/campaigns', {
      name: f.name,
      template: f.template,
      ...(f.topic ? { topic: f.topic } : {}),
      ...(aud ? { audience: aud } : {}),
      ...(klass === 'service' ? { reason: f.reason } : {}),
      ...(f.rate ? { ratePerSecond: Number(f.rate) } : {}),
      ...(data ? { data } : {}),
      ...(f.localTime ? { localTime: true, sendAt: f.wall.length === 16 ? `${f.wall}:00` : f.wall } : {}),
      ...abBody(ab),
    });
    navigate(`campaigns/${c.id}`);
  });

  return (
    <Page title="New campaign">
      <div class="editor">
        <form
          class="panel"
          aria-label="Campaign"
          onSubmit={(e) => {
            e.preventDefault();
            void create.run();
          }}
        >
          <label for="cmp-name">Name</label>
          <input id="cmp-name" required value={f.name} onInput={(e) => setF({ ...f, name: e.currentTarget.value })} />
          <label for="cmp-template">Template</label>
          <select
            id="cmp-template"
            required
            value={f.template}
            onChange={(e) => {
              const t = templates.data?.templates.find((x) => x.id === e.currentTarget.value);
              setF({ ...f, template: e.currentTarget.value, topic: t?.topic ?? '' });
            }}
          >
            <option value="">(choose a template)</option>
            {(templates.data?.templates ?? []).map((t) => (
              <option key={t.id} value={t.id}>
                {t.id} — {t.class}: {t.subject}
              </option>
            ))}
          </select>
          {klass === 'marketing' ? (
            <>
              <label for="cmp-topic">Topic (whose subscribers get it)</label>
              <select id="cmp-topic" value={f.topic} onChange={(e) => setF({ ...f, topic: e.currentTarget.value })}>
                <option value="">(the template's topic)</option>
                {(topics.data?.topics ?? []).map((t) => (
                  <option key={t.id} value={t.id}>
                    {t.name} ({t.id})
                  </option>
                ))}
              </select>
            </>
          ) : (
            <>
              <label for="cmp-reason">Why this service mail goes to everyone</label>
              <textarea id="cmp-reason" required minLength={10} rows={2} value={f.reason} onInput={(e) => setF({ ...f, reason: e.currentTarget.value })} />
            </>
          )}
          <fieldset>
            <legend>Audience filter (optional)</legend>
            <label for="cmp-countries">Countries</label>
            <input id="cmp-countries" placeholder="DE, AT" value={f.countries} onInput={(e) => setF({ ...f, countries: e.currentTarget.value })} />
            <label for="cmp-attributes">Attributes, one condition a line</label>
            <textarea id="cmp-attributes" rows={2} class="code" placeholder="plan=pro,team" value={f.attributes} onInput={(e) => setF({ ...f, attributes: e.currentTarget.value })} />
            <label for="cmp-segment">Segment</label>
            <select id="cmp-segment" value={f.segment} onChange={(e) => setF({ ...f, segment: e.currentTarget.value })}>
              <option value="">(none)</option>
              {(segments.data?.segments ?? []).map((sg) => (
                <option key={sg.id} value={sg.id}>
                  {sg.name} ({sg.id})
                </option>
              ))}
            </select>
          </fieldset>
          <fieldset>
            <legend>When</legend>
            <label class="check">
              <input id="cmp-local" type="checkbox" checked={f.localTime} onChange={(e) => setF({ ...f, localTime: e.currentTarget.checked })} /> Local time: each person gets it at
              this time in their own time zone
            </label>
            {f.localTime && (
              <>
                <label for="cmp-wall">Their local time</label>
                <input id="cmp-wall" type="datetime-local" required value={f.wall} onInput={(e) => setF({ ...f, wall: e.currentTarget.value })} />
                {f.wall && <LocalTimeline wall={f.wall} />}
              </>
            )}
          </fieldset>
          <AbFieldset ab={ab} setAb={setAb} templates={(templates.data?.templates ?? []).filter((t) => t.class === klass && (!t.topic || !f.topic || t.topic === f.topic))} />
          <label for="cmp-data">Template values for every mail (JSON, optional)</label>
          <input id="cmp-data" class="code" placeholder='{"offer": "20 % off"}' value={f.data} onInput={(e) => setF({ ...f, data: e.currentTarget.value })} aria-describedby="cmp-data-help" />
          <p id="cmp-data-help" class="help">
            A recipient's own attribute of the same name wins.
          </p>
          <label for="cmp-rate">Mails per second (optional)</label>
          <input id="cmp-rate" type="number" min={0.01} max={1000} step="any" value={f.rate} onInput={(e) => setF({ ...f, rate: e.currentTarget.value })} />
          <ErrorBox error={create.error} title="The campaign was not created" />
          <button type="submit" disabled={create.busy}>
            Create draft
          </button>
          <p class="help">A draft sends nothing. On the next screen: send a test, then launch now or schedule.</p>
        </form>
        <section class="panel" aria-labelledby="who-h" aria-live="polite">
          <h2 id="who-h">Who would get it</h2>
          {!f.template ? <p class="muted">Choose a template to see the audience.</p> : null}
          <ErrorBox error={previewError} title="No audience preview" />
          {preview && <AudienceSummary preview={preview} />}
        </section>
      </div>
    </Page>
  );
}

interface AbForm {
  on: boolean;
  variants: { id: string; template: string; subject: string; weight: string }[];
  holdout: string;
  test: boolean;
  share: string;
  metric: 'clicks' | 'humanOpens';
  hours: string;
}

const NO_AB: AbForm = {
  on: false,
  variants: [
    { id: 'a', template: '', subject: '', weight: '1' },
    { id: 'b', template: '', subject: '', weight: '1' },
  ],
  holdout: '',
  test: false,
  share: '20',
  metric: 'clicks',
  hours: '4',
};

/** The A/B fields of the create body (the API checks them and names the field of any mistake). */
function abBody(ab: AbForm): Record<string, unknown> {
  if (!ab.on) return {};
  return {
    variants: ab.variants.map((v) => ({ id: v.id.trim(), ...(v.template ? { template: v.template } : {}), ...(v.subject.trim() ? { subject: v.subject.trim() } : {}), weight: Number(v.weight) })),
    ...(ab.holdout.trim() ? { holdout: Number(ab.holdout) } : {}),
    ...(ab.test ? { test: { share: Number(ab.share), metric: ab.metric, decideAfterSeconds: Math.round(Number(ab.hours) * 3600) } } : {}),
  };
}

/** Variants (2-5: template and/or subject, weight), a holdout, and a test share whose winner goes to the rest. */
function AbFieldset(props: { ab: AbForm; setAb: (ab: AbForm) => void; templates: { id: string; subject: string }[] }) {
  const { ab, setAb } = props;
  const setVariant = (i: number, patch: Partial<AbForm['variants'][number]>) => setAb({ ...ab, variants: ab.variants.map((v, j) => (j === i ? { ...v, ...patch } : v)) });
  const nextId = () => 'abcdefghij'.split('').find((l) => !ab.variants.some((v) => v.id === l)) ?? `v${ab.variants.length + 1}`;
  return (
    <fieldset id="cmp-ab">
      <legend>A/B test (optional)</legend>
      <label class="check">
        <input id="cmp-ab-on" type="checkbox" checked={ab.on} onChange={(e) => setAb({ ...ab, on: e.currentTarget.checked })} /> Send variants: each person gets one, picked at
        random by weight (the same one on every retry)
      </label>
      {ab.on && (
        <>
          <ol class="variants">
            {ab.variants.map((v, i) => (
              <li key={i} data-variant={i}>
                <fieldset>
                  <legend>Variant {v.id || i + 1}</legend>
                  <label for={`ab-id-${i}`}>Name</label>
                  <input id={`ab-id-${i}`} required maxLength={20} pattern="[A-Za-z0-9_\-]{1,20}" value={v.id} onInput={(e) => setVariant(i, { id: e.currentTarget.value })} />
                  <label for={`ab-template-${i}`}>Template</label>
                  <select id={`ab-template-${i}`} value={v.template} onChange={(e) => setVariant(i, { template: e.currentTarget.value })}>
                    <option value="">(the campaign's)</option>
                    {props.templates.map((t) => (
                      <option key={t.id} value={t.id}>
                        {t.id}: {t.subject}
                      </option>
                    ))}
                  </select>
                  <label for={`ab-subject-${i}`}>Subject (optional: instead of the template's)</label>
                  <input id={`ab-subject-${i}`} value={v.subject} onInput={(e) => setVariant(i, { subject: e.currentTarget.value })} />
                  <label for={`ab-weight-${i}`}>Weight</label>
                  <input id={`ab-weight-${i}`} type="number" min={0.01} step="any" required value={v.weight} onInput={(e) => setVariant(i, { weight: e.currentTarget.value })} />
                  <button type="button" class="secondary" disabled={ab.variants.length <= 2} onClick={() => setAb({ ...ab, variants: ab.variants.filter((_, j) => j !== i) })}>
                    Remove variant {v.id}
                  </button>
                </fieldset>
              </li>
            ))}
          </ol>
          <button type="button" class="secondary" disabled={ab.variants.length >= 5} onClick={() => setAb({ ...ab, variants: [...ab.variants, { id: nextId(), template: '', subject: '', weight: '1' }] })}>
            Add variant
          </button>
          <label for="cmp-holdout">Holdout: % of the audience that gets nothing (optional)</label>
          <input id="cmp-holdout" type="number" min={0} max={99} step="any" value={ab.holdout} onInput={(e) => setAb({ ...ab, holdout: e.currentTarget.value })} />
          <label class="check">
            <input id="cmp-ab-test" type="checkbox" checked={ab.test} onChange={(e) => setAb({ ...ab, test: e.currentTarget.checked })} /> Test on a share first, then send the
            winner to the rest
          </label>
          {ab.test && (
            <>
              <label for="cmp-ab-share">Test share (% of the audience)</label>
              <input id="cmp-ab-share" type="number" min={1} max={99} step="any" required value={ab.share} onInput={(e) => setAb({ ...ab, share: e.currentTarget.value })} />
              <label for="cmp-ab-metric">The winner has the most</label>
              <select id="cmp-ab-metric" value={ab.metric} onChange={(e) => setAb({ ...ab, metric: e.currentTarget.value as AbForm['metric'] })}>
                <option value="clicks">clicks by people (per delivered mail)</option>
                <option value="humanOpens">opens by people (per delivered mail; machine opens never count)</option>
              </select>
              <label for="cmp-ab-hours">Decide after (hours from the launch)</label>
              <input id="cmp-ab-hours" type="number" min={0.01} step="any" required value={ab.hours} onInput={(e) => setAb({ ...ab, hours: e.currentTarget.value })} />
            </>
          )}
        </>
      )}
    </fieldset>
  );
}

const DECISION_REASONS: Record<string, string> = {
  metric: 'it led on the test metric',
  tie: 'the variants were tied, so the first one was taken',
  tooLittleData: 'too little data to tell, so the first one was taken',
  manual: 'picked by hand',
};

/** An A/B test's figures per variant, the winner and why, and (until it is decided) a way to pick it by hand. */
function AbResults(props: { c: Campaign; mayPick: boolean; busy: boolean; pick: (variant: string) => void }) {
  const { c } = props;
  const p = c.progress;
  const rate = (r: number | null | undefined) => (r === undefined || r === null ? '–' : `${(r * 100).toFixed(1)} %`);
  const open = c.test && !c.decision && (c.status === 'sending' || c.status === 'paused');
  return (
    <section class="panel" aria-labelledby="ab-h" id="campaign-ab">
      <h2 id="ab-h">A/B test</h2>
      <p id="campaign-decision" role="status">
        {c.decision
          ? `Winner: ${c.decision.variant} — ${DECISION_REASONS[c.decision.reason] ?? c.decision.reason} (${c.decision.at.slice(0, 16).replace('T', ' ')} UTC).`
          : c.test
            ? `Testing on ${c.test.share} % of the audience; the winner on ${c.test.metric === 'clicks' ? 'clicks' : 'opens'} by people is picked ${duration(c.test.decideAfterSeconds)} after the test share was mailed.`
            : 'Every person gets one of the variants by weight.'}
      </p>
      <dl class="figures">
        <div>
          <dt>Held out (get nothing)</dt>
          <dd data-figure="holdout">{num(p.holdout ?? 0)}</dd>
        </div>
        {c.test ? (
          <div>
            <dt>Waiting for the winner</dt>
            <dd data-figure="awaiting-winner">{num(p.awaitingWinner ?? 0)}</dd>
          </div>
        ) : null}
      </dl>
      <table class="compact" id="campaign-variants">
        <caption>Figures per variant</caption>
        <thead>
          <tr>
            <th scope="col">Variant</th>
            <th scope="col" class="num">
              Sent
            </th>
            <th scope="col" class="num">
              Delivered
            </th>
            <th scope="col" class="num">
              Opened by people
            </th>
            <th scope="col" class="num">
              Clicked by people
            </th>
            {open && props.mayPick ? <th scope="col">Winner</th> : null}
          </tr>
        </thead>
        <tbody>
          {(p.variants ?? []).map((v) => (
            <tr key={v.id} data-variant={v.id} class={c.decision?.variant === v.id ? 'winner' : undefined}>
              <th scope="row">
                {v.id}
                {c.decision?.variant === v.id ? ' (winner)' : ''}
              </th>
              <td class="num" data-figure="sent">
                {num(v.sent)}
              </td>
              <td class="num">{v.delivered === undefined ? '–' : num(v.delivered)}</td>
              <td class="num">
                {v.opensUniqueHuman === undefined ? '–' : num(v.opensUniqueHuman)} <span class="muted">{rate(v.openRate)}</span>
              </td>
              <td class="num">
                {v.clicksUniqueHuman === undefined ? '–' : num(v.clicksUniqueHuman)} <span class="muted">{rate(v.clickRate)}</span>
              </td>
              {open && props.mayPick ? (
                <td>
                  <button type="button" class="secondary" disabled={props.busy} onClick={() => props.pick(v.id)}>
                    Pick {v.id} as the winner
                  </button>
                </td>
              ) : null}
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

/** When each time zone gets a local-time campaign, soonest first; the first is when it launches if scheduled. */
function LocalTimeline(props: { wall: string }) {
  const rows = timeline(props.wall, new Date());
  return (
    <table class="compact" id="local-timeline">
      <caption>When each zone gets it (UTC)</caption>
      <thead>
        <tr>
          <th scope="col">Time zone</th>
          <th scope="col">At (UTC)</th>
          <th scope="col">Now</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={r.zone}>
            <th scope="row">{r.label}</th>
            <td>
              <time dateTime={r.at.toISOString()}>{r.at.toISOString().slice(0, 16).replace('T', ' ')}</time>
            </td>
            <td>{r.late ? 'passed: sent at launch (late)' : 'waits for its time'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

const ACTIVE = new Set(['sending', 'scheduled']);

/** One address of a test send (`POST /v1/campaigns/{id}/test`): each has its own outcome. */
interface TestResult {
  to: string;
  status: string;
  reason?: string;
  error?: string;
}
const TEST_OUTCOME: Record<string, string> = { sent: 'sent', held: 'held', failed: 'not sent', sending: 'may have been sent (SES did not answer)' };

export function CampaignDetail({ api, me, id }: Ctx & { id: string }) {
  const [c, setC] = useState<Campaign | undefined>();
  const [loadError, setLoadError] = useState<unknown>();
  const [confirm, setConfirm] = useState<'launch' | 'cancel' | undefined>();
  const [note, setNote] = useState('');
  const [testTo, setTestTo] = useState('');
  const [sendAt, setSendAt] = useState('');
  const [testResults, setTestResults] = useState<TestResult[] | undefined>();
  const preview = useLoad(async () => (c?.status === 'draft' || c?.status === 'scheduled' ? api.get<AudiencePreview>(`/v1/campaigns/${id}/preview`) : undefined), [id, c?.status]);

  // Counts every read, answered or not: a read that failed schedules the next one too (the campaign did not change).
  const [reads, setReads] = useState(0);
  const load = async () => {
    try {
      setC(await api.get<Campaign>(`/v1/campaigns/${id}`));
      setLoadError(undefined);
    } catch (e) {
      setLoadError(e);
    } finally {
      setReads((n) => n + 1);
    }
  };
  useEffect(() => {
    void load();
  }, [id]);
  // Live progress: read again every second and a half while it sends or waits for its time.
  useEffect(() => {
    if (!c || !ACTIVE.has(c.status)) return;
    const t = setTimeout(() => void load(), 1500);
    return () => clearTimeout(t);
  }, [c, reads]);

  const act = useAction(async (action: 'launch' | 'pause' | 'resume' | 'cancel' | 'schedule' | 'winner', body?: unknown) => {
    const next = await api.post<Campaign>(`/v1/campaigns/${id}/${action}`, body);
    setC({ ...next, history: c?.history });
    setNote(action === 'winner' ? `Winner picked: the rest of the audience gets ${next.decision?.variant}.` : `Campaign ${action === 'schedule' ? 'scheduled' : `${action}${action.endsWith('e') ? 'd' : 'ed'}`}.`);
    void load();
  });
  const test = useAction(async () => {
    const to = testTo.split(/[\s,]+/).filter(Boolean);
    const r = await api.post<{ results: TestResult[] }>(`/v1/campaigns/${id}/test`, { to });
    setTestResults(r.results);
  });

  if (loadError && !c) return <Page title="Campaign"><ErrorBox error={loadError} title="Could not load the campaign" /></Page>;
  if (!c) return <Page title="Campaign"><p class="muted">Loading the campaign…</p></Page>;

  const p = c.progress;
  // An A/B test's holdout is settled too: it gets nothing on purpose.
  const settled = p.sent + p.heldTotal + p.failed + (p.holdout ?? 0);
  const heldOut = p.holdout ? `, ${num(p.holdout)} held out` : '';
  const total = Math.max(p.targeted, settled, 1);
  const percent = Math.round((settled / total) * 100);
  const mayCreate = can(me.roles, 'campaigns.create');
  const mayPause = can(me.roles, 'campaigns.pauseResume');
  const mayCancel = can(me.roles, 'campaigns.cancel');
  const live =
    c.status === 'completed'
      ? `Finished: ${num(p.sent)} sent, ${num(p.heldTotal)} held, ${num(p.failed)} failed${heldOut}.`
      : c.status === 'sending'
        ? `Sending: ${num(settled)} of ${num(p.targeted)}${p.audienceComplete ? '' : '+'} settled (${percent} %).`
        : `Status: ${c.status}.`;

  return (
    <Page title={c.name} actions={<Badge status={c.status} />}>
      <p class="muted">
        <code>{c.id}</code> · {c.class} · template <code>{c.template}</code>
        {c.topic ? (
          <>
            {' '}
            · topic <code>{c.topic}</code>
          </>
        ) : null}
        {c.pauseReason && c.status === 'paused' ? ` · paused: ${reasonLabel(c.pauseReason)}` : ''}
        {c.sendAt && c.status === 'scheduled' ? (c.localTime ? ` · at ${c.sendAt} in each person’s time zone` : ` · launches at ${c.sendAt}`) : ''}
        {c.audience?.segment ? ` · segment ${c.audience.segment}` : ''}
      </p>
      {loadError ? <ErrorBox error={loadError} title="Could not refresh" /> : null}
      <ErrorBox error={act.error} title="That did not work" />
      <Status id="campaign-note">{note}</Status>

      {(c.status === 'draft' || c.status === 'scheduled') && (
        <section class="panel" aria-labelledby="before-h">
          <h2 id="before-h">Before it goes out</h2>
          <Loading state={preview} what="the audience">
            {(d) => (d ? <AudienceSummary preview={d} /> : <></>)}
          </Loading>
          {mayCreate && (
            <>
              <form
                class="inline"
                aria-labelledby="test-h"
                onSubmit={(e) => {
                  e.preventDefault();
                  void test.run();
                }}
              >
                <h3 id="test-h">Send a test</h3>
                <label for="test-to">Addresses (up to 10, comma-separated)</label>
                <input id="test-to" required value={testTo} onInput={(e) => setTestTo(e.currentTarget.value)} />
                <button type="submit" class="secondary" disabled={test.busy}>
                  Send test
                </button>
              </form>
              <ErrorBox error={test.error} title="The test was not sent" />
              {testResults && (
                <ul id="test-results" role="status">
                  {testResults.map((r) => (
                    <li key={r.to}>
                      {r.to}: {TEST_OUTCOME[r.status] ?? r.status}
                      {r.reason ? ` (${reasonLabel(r.reason)})` : ''}
                      {r.error ? ` — ${r.error}` : ''}
                    </li>
                  ))}
                </ul>
              )}
              {c.status === 'draft' && (
                <form
                  class="inline"
                  aria-labelledby="schedule-h"
                  onSubmit={(e) => {
                    e.preventDefault();
                    void act.run('schedule', { sendAt: c.localTime ? (sendAt.length === 16 ? `${sendAt}:00` : sendAt) : new Date(sendAt).toISOString() });
                  }}
                >
                  <h3 id="schedule-h">Schedule</h3>
                  <label for="send-at">{c.localTime ? 'Each person’s local time' : 'Launch at (your time)'}</label>
                  <input id="send-at" type="datetime-local" required value={sendAt} onInput={(e) => setSendAt(e.currentTarget.value)} />
                  <button type="submit" class="secondary" disabled={act.busy}>
                    Schedule
                  </button>
                </form>
              )}
              <div class="actions">
                <button type="button" onClick={() => setConfirm('launch')} disabled={act.busy}>
                  Launch now
                </button>
              </div>
            </>
          )}
        </section>
      )}

      {c.status !== 'draft' && (
        <section class="panel" aria-labelledby="progress-h">
          <h2 id="progress-h">Progress</h2>
          <progress id="campaign-progress" max={total} value={settled} aria-labelledby="progress-h">
            {percent} %
          </progress>
          <p role="status" aria-live="polite" id="campaign-live">
            {live}
          </p>
          <dl class="figures" id="campaign-figures">
            <div>
              <dt>Targeted</dt>
              <dd data-figure="targeted">
                {num(p.targeted)}
                {p.audienceComplete ? '' : '+'}
              </dd>
            </div>
            <div>
              <dt>Sent</dt>
              <dd data-figure="sent">{num(p.sent)}</dd>
            </div>
            <div>
              <dt>Held back</dt>
              <dd data-figure="held">{num(p.heldTotal)}</dd>
            </div>
            <div>
              <dt>Failed</dt>
              <dd data-figure="failed">{num(p.failed)}</dd>
            </div>
            <div>
              <dt>Remaining</dt>
              <dd data-figure="remaining">{num(p.remaining)}</dd>
            </div>
            <div>
              <dt>Rate</dt>
              <dd data-figure="rate">{p.ratePerSecond === undefined ? '–' : `${p.ratePerSecond.toFixed(1)}/s`}</dd>
            </div>
            <div>
              <dt>Time left</dt>
              <dd data-figure="eta">{c.status === 'sending' ? duration(p.etaSeconds) : '–'}</dd>
            </div>
            {p.engagement ? (
              <>
                <div>
                  <dt>Opened by people</dt>
                  <dd data-figure="opens-human">
                    {num(p.engagement.opens.uniqueHuman)} <span class="muted">({num(p.engagement.opens.machine)} machine opens apart)</span>
                  </dd>
                </div>
                <div>
                  <dt>Clicked by people</dt>
                  <dd data-figure="clicks-human">
                    {num(p.engagement.clicks.uniqueHuman)} <span class="muted">({num(p.engagement.clicks.machine)} machine clicks apart)</span>
                  </dd>
                </div>
              </>
            ) : null}
            <div>
              <dt>Left out by the filter or segment</dt>
              <dd data-figure="excluded">{num(p.excluded)}</dd>
            </div>
            <div>
              <dt>Waiting for their local time</dt>
              <dd data-figure="scheduled">{num(p.scheduled ?? 0)}</dd>
            </div>
            <div>
              <dt>Deferred (quiet hours)</dt>
              <dd data-figure="deferred">{num(p.deferred ?? 0)}</dd>
            </div>
            <div>
              <dt>Sent late (their time had passed)</dt>
              <dd data-figure="late">{num(p.late ?? 0)}</dd>
            </div>
            <div>
              <dt>Frequency capped</dt>
              <dd data-figure="capped">{num(p.held.frequency_capped ?? 0)}</dd>
            </div>
          </dl>
          {p.nextDueAt && (
            <p id="campaign-next-due">
              Next due: <time dateTime={p.nextDueAt}>{p.nextDueAt.slice(0, 16).replace('T', ' ')} UTC</time>
            </p>
          )}
          {p.timeline && p.timeline.length > 0 && (
            <table class="compact" id="campaign-timeline">
              <caption>Who waits for which moment</caption>
              <thead>
                <tr>
                  <th scope="col">At (UTC)</th>
                  <th scope="col" class="num">
                    Local time
                  </th>
                  <th scope="col" class="num">
                    Quiet hours
                  </th>
                </tr>
              </thead>
              <tbody>
                {p.timeline.map((t) => (
                  <tr key={t.at}>
                    <th scope="row">
                      <time dateTime={t.at}>{t.at.slice(0, 16).replace('T', ' ')}</time>
                    </th>
                    <td class="num">{num(t.scheduled)}</td>
                    <td class="num">{num(t.deferred)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <HeldTable held={p.held} caption="Held back at send time, by reason" id="campaign-held" />
          <div class="actions">
            {c.status === 'sending' && mayPause && (
              <button type="button" class="secondary" disabled={act.busy} onClick={() => void act.run('pause')}>
                Pause
              </button>
            )}
            {c.status === 'paused' && mayPause && (
              <button type="button" disabled={act.busy} onClick={() => void act.run('resume')}>
                Resume
              </button>
            )}
            <Link to={`figures?campaign=${c.id}`}>Figures of this campaign</Link>
          </div>
        </section>
      )}

      {c.variants && c.status !== 'draft' && <AbResults c={c} mayPick={mayCreate} busy={act.busy} pick={(variant) => void act.run('winner', { variant })} />}
      {c.variants && c.status === 'draft' && (
        <p class="muted" id="campaign-variants-draft">
          A/B test: variants {c.variants.map((v) => `${v.id} (weight ${v.weight})`).join(', ')}
          {c.holdout ? ` · ${c.holdout} % held out` : ''}
          {c.test ? ` · tested on ${c.test.share} %, winner after ${duration(c.test.decideAfterSeconds)}` : ''}
        </p>
      )}

      {mayCancel && !['completed', 'cancelled'].includes(c.status) && (
        <div class="actions">
          <button type="button" class="danger" disabled={act.busy} onClick={() => setConfirm('cancel')}>
            Cancel campaign
          </button>
        </div>
      )}

      {c.history && c.history.length > 0 && (
        <section class="panel" aria-labelledby="history-h">
          <h2 id="history-h">History</h2>
          <ol class="history">
            {c.history.map((h, i) => (
              <li key={i}>
                <time dateTime={h.at}>{h.at.slice(0, 19).replace('T', ' ')}</time> {h.action} by {h.actor}
                {h.reason ? ` — ${h.reason}` : ''}
              </li>
            ))}
          </ol>
        </section>
      )}

      <Confirm
        open={confirm === 'launch'}
        title="Launch this campaign now?"
        confirm="Launch"
        onCancel={() => setConfirm(undefined)}
        onConfirm={() => {
          setConfirm(undefined);
          void act.run('launch');
        }}
      >
        <p>
          It goes to {preview.data ? `${num(preview.data.eligible)} people eligible now` : 'the eligible audience'}; consent is checked again for each person at the moment of
          sending.
        </p>
      </Confirm>
      <Confirm
        open={confirm === 'cancel'}
        title="Cancel this campaign for good?"
        confirm="Cancel campaign"
        danger
        onCancel={() => setConfirm(undefined)}
        onConfirm={() => {
          setConfirm(undefined);
          void act.run('cancel');
        }}
      >
        <p>Nothing more is sent. What was sent stays sent. This cannot be undone.</p>
      </Confirm>
    </Page>
  );
}
