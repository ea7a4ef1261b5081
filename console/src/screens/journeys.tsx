/**
 * Journeys: the list, and the editor — a trigger, steps as a list (send, wait, branch; moved up and down), exitOn and
 * re-entry; activate, pause and archive; each step's live figures (entered, waiting, sent, held, exited), read again
 * every few seconds while a saved journey is open. "Welcome journey" fills in the sign-up welcome mail as step one.
 */
import { useEffect, useState } from 'preact/hooks';
import type { Ctx } from '../main.tsx';
import { num, reasonLabel } from '../format.ts';
import { fromSteps, newRow, toSteps, WELCOME_JOURNEY, type ApiStep, type StepRow } from '../journey-steps.ts';
import { Badge, ErrorBox, Loading, Page, Status, useAction, useLoad } from '../ui.tsx';
import type { StepFigures } from '../../../lambdas/domain/journeys.ts';

interface Journey {
  id: string;
  name: string;
  status: string;
  trigger: { event?: string; optedIn?: string; recipientCreated?: true };
  steps: ApiStep[];
  exitOn: string[];
  reentry: 'never' | 'afterExit';
  description?: string;
  figures?: { enrolled: number; completed: number; exited: number; steps: Record<string, StepFigures> };
}

type TriggerKind = 'event' | 'optedIn' | 'recipientCreated';

interface Meta {
  id: string;
  name: string;
  trigger: TriggerKind;
  triggerValue: string;
  exitOn: string;
  reentry: 'never' | 'afterExit';
}

const emptyMeta: Meta = { id: '', name: '', trigger: 'event', triggerValue: '', exitOn: 'unsubscribed', reentry: 'never' };

const triggerText = (t: Journey['trigger']) => (t.event ? `event ${t.event}` : t.optedIn ? `opt-in to ${t.optedIn}` : 'new recipient');

function StepEditor(props: {
  row: StepRow;
  index: number;
  count: number;
  templates: string[];
  stepIds: string[];
  figures?: StepFigures;
  onChange: (row: StepRow | undefined) => void;
  onMove: (by: -1 | 1) => void;
}) {
  const { row, index: i } = props;
  const set = (patch: Partial<StepRow>) => props.onChange({ ...row, ...patch });
  const targets = ['end', ...props.stepIds.filter((s) => s && s !== row.id)];
  const f = props.figures;
  return (
    <li class="panel journey-step" data-step={row.id}>
      <div class="grid2">
        <div>
          <label for={`s-id-${i}`}>Step {i + 1} id</label>
          <input id={`s-id-${i}`} required pattern="[a-z0-9][a-z0-9_\-]*" value={row.id} onInput={(e) => set({ id: e.currentTarget.value })} />
        </div>
        <div>
          <label for={`s-kind-${i}`}>Step {i + 1} does</label>
          <select id={`s-kind-${i}`} value={row.kind} onChange={(e) => set({ kind: e.currentTarget.value as StepRow['kind'] })}>
            <option value="send">Send a template</option>
            <option value="wait">Wait</option>
            <option value="branch">Branch</option>
          </select>
        </div>
      </div>
      {row.kind === 'send' && (
        <>
          <label for={`s-template-${i}`}>Step {i + 1} template</label>
          <select id={`s-template-${i}`} value={row.template} onChange={(e) => set({ template: e.currentTarget.value })}>
            <option value="">(choose a template)</option>
            {props.templates.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        </>
      )}
      {row.kind === 'wait' && (
        <div class="grid2">
          <div>
            <label for={`s-wait-${i}`}>Step {i + 1} waits</label>
            <select id={`s-wait-${i}`} value={row.waitMode} onChange={(e) => set({ waitMode: e.currentTarget.value as StepRow['waitMode'] })}>
              <option value="seconds">a number of seconds</option>
              <option value="untilLocalTime">until a time on the recipient’s clock</option>
            </select>
          </div>
          <div>
            {row.waitMode === 'seconds' ? (
              <>
                <label for={`s-seconds-${i}`}>Step {i + 1} seconds</label>
                <input id={`s-seconds-${i}`} inputMode="numeric" value={row.seconds} onInput={(e) => set({ seconds: e.currentTarget.value })} />
              </>
            ) : (
              <>
                <label for={`s-time-${i}`}>Step {i + 1} local time</label>
                <input id={`s-time-${i}`} type="time" value={row.localTime} onInput={(e) => set({ localTime: e.currentTarget.value })} />
              </>
            )}
          </div>
        </div>
      )}
      {row.kind === 'branch' && (
        <>
          <div class="grid2">
            <div>
              <label for={`s-if-${i}`}>Step {i + 1} if</label>
              <select id={`s-if-${i}`} value={row.condition} onChange={(e) => set({ condition: e.currentTarget.value as StepRow['condition'] })}>
                <option value="clicked">they clicked (a human) in the mail of</option>
                <option value="opened">they opened (a human) the mail of</option>
                <option value="rule">a segment rule holds</option>
              </select>
            </div>
            <div>
              {row.condition === 'rule' ? (
                <>
                  <label for={`s-rule-${i}`}>Step {i + 1} rule (JSON)</label>
                  <textarea id={`s-rule-${i}`} rows={2} value={row.rule} onInput={(e) => set({ rule: e.currentTarget.value })} />
                </>
              ) : (
                <>
                  <label for={`s-on-${i}`}>Step {i + 1} send step</label>
                  <select id={`s-on-${i}`} value={row.conditionStep} onChange={(e) => set({ conditionStep: e.currentTarget.value })}>
                    <option value="">(choose a send step)</option>
                    {props.stepIds
                      .filter((s) => s && s !== row.id)
                      .map((s) => (
                        <option key={s} value={s}>
                          {s}
                        </option>
                      ))}
                  </select>
                </>
              )}
            </div>
          </div>
          <div class="grid2">
            {(['then', 'else'] as const).map((arm) => (
              <div key={arm}>
                <label for={`s-${arm}-${i}`}>
                  Step {i + 1} {arm === 'then' ? 'then go to' : 'else go to'}
                </label>
                <select id={`s-${arm}-${i}`} value={row[arm]} onChange={(e) => set({ [arm]: e.currentTarget.value })}>
                  {targets.map((t) => (
                    <option key={t} value={t}>
                      {t}
                    </option>
                  ))}
                </select>
              </div>
            ))}
          </div>
        </>
      )}
      {row.kind !== 'branch' && (
        <>
          <label for={`s-next-${i}`}>Step {i + 1} then</label>
          <select id={`s-next-${i}`} value={row.next} onChange={(e) => set({ next: e.currentTarget.value })}>
            <option value="">the next step</option>
            {targets.map((t) => (
              <option key={t} value={t}>
                {t === 'end' ? 'end the journey' : t}
              </option>
            ))}
          </select>
        </>
      )}
      {f && (
        <dl class="figures step-figures" aria-label={`Figures of step ${row.id}`}>
          <div>
            <dt>Entered</dt>
            <dd data-figure={`${row.id}-entered`}>{num(f.entered)}</dd>
          </div>
          {row.kind === 'wait' && (
            <div>
              <dt>Waiting</dt>
              <dd data-figure={`${row.id}-waiting`}>{num(f.waiting)}</dd>
            </div>
          )}
          {row.kind === 'send' && (
            <div>
              <dt>Sent</dt>
              <dd data-figure={`${row.id}-sent`}>{num(f.sent)}</dd>
            </div>
          )}
          {f.deferred > 0 && (
            <div>
              <dt>Deferred</dt>
              <dd>{num(f.deferred)}</dd>
            </div>
          )}
          {Object.entries(f.held).map(([r, n]) => (
            <div key={r}>
              <dt>Held: {reasonLabel(r)}</dt>
              <dd data-figure={`${row.id}-held-${r}`}>{num(n)}</dd>
            </div>
          ))}
          <div>
            <dt>Left here</dt>
            <dd>{num(f.exited)}</dd>
          </div>
        </dl>
      )}
      <div class="actions">
        <button type="button" class="secondary" disabled={i === 0} onClick={() => props.onMove(-1)}>
          Move step {i + 1} up
        </button>
        <button type="button" class="secondary" disabled={i === props.count - 1} onClick={() => props.onMove(1)}>
          Move step {i + 1} down
        </button>
        <button type="button" class="danger" onClick={() => props.onChange(undefined)}>
          Remove step {i + 1}
        </button>
      </div>
    </li>
  );
}

export function Journeys({ api }: Ctx) {
  const list = useLoad(() => api.get<{ journeys: Journey[] }>('/v1/journeys?limit=100'), []);
  const templates = useLoad(() => api.get<{ templates: { id: string }[] }>('/v1/templates'), []);
  const [meta, setMeta] = useState<Meta>(emptyMeta);
  const [rows, setRows] = useState<StepRow[]>([newRow(1)]);
  const [editing, setEditing] = useState<Journey | undefined>();
  const [done, setDone] = useState('');
  const [problem, setProblem] = useState<string | undefined>();

  // Live figures of the open journey.
  useEffect(() => {
    if (!editing) return;
    const id = editing.id;
    const timer = setInterval(async () => {
      try {
        const j = await api.get<Journey>(`/v1/journeys/${id}`);
        setEditing((e) => (e?.id === id ? { ...e, status: j.status, figures: j.figures } : e));
      } catch {
        // The next tick tries again; the figures shown stay the last ones read.
      }
    }, 3000);
    return () => clearInterval(timer);
  }, [editing?.id]);

  const open = (j: Journey) => {
    setEditing(j);
    setMeta({
      id: j.id,
      name: j.name,
      trigger: j.trigger.event !== undefined ? 'event' : j.trigger.optedIn !== undefined ? 'optedIn' : 'recipientCreated',
      triggerValue: j.trigger.event ?? j.trigger.optedIn ?? '',
      exitOn: j.exitOn.join(', '),
      reentry: j.reentry,
    });
    setRows(fromSteps(j.steps));
    setDone('');
  };
  const opening = useAction(async (id: string) => open(await api.get<Journey>(`/v1/journeys/${id}`)));
  const fresh = (m: Meta = emptyMeta, steps: StepRow[] = [newRow(1)]) => (setEditing(undefined), setMeta(m), setRows(steps), setDone(''));

  const save = useAction(async () => {
    const steps = toSteps(rows);
    if ('error' in steps) {
      setProblem(steps.error);
      return;
    }
    setProblem(undefined);
    const trigger = meta.trigger === 'recipientCreated' ? { recipientCreated: true } : { [meta.trigger]: meta.triggerValue.trim() };
    const exitOn = meta.exitOn
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    // A save replaces the journey: what this screen does not edit (a description set through the API) goes along.
    const body = { name: meta.name, trigger, steps: steps.steps, exitOn, reentry: meta.reentry, ...(editing?.description ? { description: editing.description } : {}) };
    const saved = editing ? await api.put<Journey>(`/v1/journeys/${editing.id}`, body) : await api.post<Journey>('/v1/journeys', { id: meta.id, ...body });
    // After opening it: opening a journey clears the message of the one before.
    open(await api.get<Journey>(`/v1/journeys/${saved.id}`));
    setDone(`Journey ${saved.name} saved.`);
    await list.reload();
  });
  const act = useAction(async (action: 'activate' | 'pause' | 'archive') => {
    if (!editing) return;
    const j = await api.post<Journey>(`/v1/journeys/${editing.id}/${action}`);
    setEditing({ ...editing, status: j.status, figures: j.figures });
    setDone(`Journey ${j.name} is ${j.status}.`);
    await list.reload();
  });

  const stepIds = rows.map((r) => r.id);
  const templateIds = [...new Set(['sendwell-welcome', ...(templates.data?.templates ?? []).map((t) => t.id)])];
  const locked = editing !== undefined && editing.status !== 'draft' && editing.status !== 'paused';
  const change = (i: number, row: StepRow | undefined) => setRows((rs) => (row ? rs.map((r, j) => (j === i ? row : r)) : rs.filter((_, j) => j !== i)));
  const move = (i: number, by: -1 | 1) =>
    setRows((rs) => {
      const next = [...rs];
      const [r] = next.splice(i, 1);
      next.splice(i + by, 0, r!);
      return next;
    });

  return (
    <Page
      title="Journeys"
      actions={
        <>
          <button type="button" class="secondary" onClick={() => fresh()}>
            New journey
          </button>
          <button
            type="button"
            class="secondary"
            onClick={() => fresh({ ...emptyMeta, id: WELCOME_JOURNEY.id, name: WELCOME_JOURNEY.name, trigger: 'recipientCreated' }, fromSteps(WELCOME_JOURNEY.steps))}
          >
            Welcome journey
          </button>
        </>
      }
    >
      <Loading state={list} what="journeys">
        {(d) =>
          d.journeys.length === 0 ? (
            <p>No journeys yet. Build the first one below, or start from the welcome journey.</p>
          ) : (
            <table>
              <caption class="sr-only">Journeys</caption>
              <thead>
                <tr>
                  <th scope="col">Id</th>
                  <th scope="col">Name</th>
                  <th scope="col">Starts on</th>
                  <th scope="col">Status</th>
                  <th scope="col">
                    <span class="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {d.journeys.map((j) => (
                  <tr key={j.id}>
                    <th scope="row">
                      <code>{j.id}</code>
                    </th>
                    <td>{j.name}</td>
                    <td>{triggerText(j.trigger)}</td>
                    <td>
                      <Badge status={j.status} />
                    </td>
                    <td>
                      <button type="button" class="secondary" onClick={() => void opening.run(j.id)}>
                        Open {j.name}
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </Loading>
      <ErrorBox error={opening.error} title="The journey could not be opened" />
      <form
        class="panel"
        aria-labelledby="journey-h"
        onSubmit={(e) => {
          e.preventDefault();
          setDone('');
          void save.run();
        }}
      >
        <h2 id="journey-h">
          {editing ? `Journey ${editing.id}` : 'New journey'} {editing && <Badge status={editing.status} />}
        </h2>
        {editing?.figures && (
          <dl class="figures" aria-label="Journey figures">
            <div>
              <dt>Enrolled</dt>
              <dd data-figure="enrolled">{num(editing.figures.enrolled)}</dd>
            </div>
            <div>
              <dt>Completed</dt>
              <dd data-figure="completed">{num(editing.figures.completed)}</dd>
            </div>
            <div>
              <dt>Left early</dt>
              <dd data-figure="exited">{num(editing.figures.exited)}</dd>
            </div>
          </dl>
        )}
        <div class="grid2">
          <div>
            <label for="j-id">Id</label>
            <input id="j-id" required disabled={editing !== undefined} pattern="[a-z0-9][a-z0-9_\-]*" value={meta.id} onInput={(e) => setMeta({ ...meta, id: e.currentTarget.value })} />
          </div>
          <div>
            <label for="j-name">Name</label>
            <input id="j-name" required value={meta.name} onInput={(e) => setMeta({ ...meta, name: e.currentTarget.value })} />
          </div>
        </div>
        <div class="grid2">
          <div>
            <label for="j-trigger">Starts when</label>
            <select id="j-trigger" value={meta.trigger} onChange={(e) => setMeta({ ...meta, trigger: e.currentTarget.value as TriggerKind })}>
              <option value="event">an event is posted</option>
              <option value="optedIn">someone opts in to a topic</option>
              <option value="recipientCreated">a recipient is created</option>
            </select>
          </div>
          {meta.trigger !== 'recipientCreated' && (
            <div>
              <label for="j-trigger-value">{meta.trigger === 'event' ? 'Event name' : 'Topic'}</label>
              <input id="j-trigger-value" required value={meta.triggerValue} onInput={(e) => setMeta({ ...meta, triggerValue: e.currentTarget.value })} />
            </div>
          )}
        </div>
        <div class="grid2">
          <div>
            <label for="j-exit">Leaves on (comma-separated: unsubscribed, event names)</label>
            <input id="j-exit" value={meta.exitOn} onInput={(e) => setMeta({ ...meta, exitOn: e.currentTarget.value })} />
          </div>
          <div>
            <label for="j-reentry">Enrols a person</label>
            <select id="j-reentry" value={meta.reentry} onChange={(e) => setMeta({ ...meta, reentry: e.currentTarget.value as Meta['reentry'] })}>
              <option value="never">once, ever</option>
              <option value="afterExit">again after they finished or left</option>
            </select>
          </div>
        </div>
        <h3>Steps</h3>
        <ol class="journey-steps">
          {rows.map((r, i) => (
            <StepEditor
              key={i}
              row={r}
              index={i}
              count={rows.length}
              templates={templateIds}
              stepIds={stepIds}
              {...(editing?.figures?.steps[r.id] ? { figures: editing.figures.steps[r.id] } : {})}
              onChange={(next) => change(i, next)}
              onMove={(by) => move(i, by)}
            />
          ))}
        </ol>
        <div class="actions">
          <button type="button" class="secondary" onClick={() => setRows((rs) => [...rs, newRow(rs.length + 1, 'send')])}>
            Add a send
          </button>
          <button type="button" class="secondary" onClick={() => setRows((rs) => [...rs, newRow(rs.length + 1, 'wait')])}>
            Add a wait
          </button>
          <button type="button" class="secondary" onClick={() => setRows((rs) => [...rs, newRow(rs.length + 1, 'branch')])}>
            Add a branch
          </button>
        </div>
        <p class="help">
          Every send goes through the send rule when it happens: someone who unsubscribed is held (or leaves, with “unsubscribed” above), quiet hours defer marketing, caps hold it. Opens and clicks
          count only when a person made them.
        </p>
        {problem && <ErrorBox error={new Error(problem)} title="The journey was not saved" />}
        <ErrorBox error={save.error} title="The journey was not saved" />
        <ErrorBox error={act.error} title="The journey’s status was not changed" />
        {locked && <p class="muted">Pause the journey to change its steps.</p>}
        <div class="actions">
          <button type="submit" disabled={save.busy || locked}>
            {editing ? 'Save changes' : 'Create journey'}
          </button>
          {editing && (editing.status === 'draft' || editing.status === 'paused') && (
            <button type="button" onClick={() => void act.run('activate')}>
              Activate
            </button>
          )}
          {editing?.status === 'active' && (
            <button type="button" class="secondary" onClick={() => void act.run('pause')}>
              Pause
            </button>
          )}
          {editing && editing.status !== 'archived' && (
            <button type="button" class="danger" onClick={() => void act.run('archive')}>
              Archive
            </button>
          )}
        </div>
        <Status>{done}</Status>
      </form>
    </Page>
  );
}
