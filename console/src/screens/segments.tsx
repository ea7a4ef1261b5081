/**
 * Segments: the list, and the builder — groups of conditions (all / any, nestable) with a live count of who the
 * rules select among a topic's subscribers and what the send rule would do with them now (`POST /v1/segments/preview`,
 * the campaign preview's count).
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Ctx } from '../main.tsx';
import { num, reasonLabel } from '../format.ts';
import { FIELDS, fromRules, newCondition, newGroup, OP_LABELS, OPS, toRules, updateAt, type Condition, type Group, type Op } from '../segment-rules.ts';
import { ErrorBox, Loading, Page, Status, useAction, useLoad } from '../ui.tsx';

interface Segment {
  id: string;
  name: string;
  description?: string;
  rules: unknown;
  updatedAt: string;
}

interface Count {
  audience: number;
  excluded: number;
  eligible: number;
  deferred: number;
  held: Record<string, number>;
  complete: boolean;
}

const fieldBase = (field: string) => (field.startsWith('attributes.') ? 'attributes.' : field.startsWith('consent.') ? 'consent.' : field);

function ConditionRow(props: { cond: Condition; path: readonly number[]; onChange: (c: Condition | undefined) => void }) {
  const { cond, path } = props;
  const key = path.join('-');
  const base = fieldBase(cond.field);
  const name = base.endsWith('.') ? cond.field.slice(base.length) : '';
  return (
    <li class="rule-row" data-rule={key}>
      <label for={`f-${key}`} class="sr-only">
        Field
      </label>
      <select id={`f-${key}`} value={base} onChange={(e) => props.onChange({ ...cond, field: e.currentTarget.value.endsWith('.') ? `${e.currentTarget.value}${name}` : e.currentTarget.value })}>
        {FIELDS.map((f) => (
          <option key={f} value={f}>
            {f.endsWith('.') ? `${f}<name>` : f}
          </option>
        ))}
      </select>
      {base.endsWith('.') && (
        <>
          <label for={`n-${key}`} class="sr-only">
            {base === 'consent.' ? 'Topic' : 'Attribute name'}
          </label>
          <input id={`n-${key}`} class="short" placeholder={base === 'consent.' ? 'topic' : 'name'} value={name} onInput={(e) => props.onChange({ ...cond, field: `${base}${e.currentTarget.value}` })} />
        </>
      )}
      <label for={`o-${key}`} class="sr-only">
        Condition
      </label>
      <select id={`o-${key}`} value={cond.op} onChange={(e) => props.onChange({ ...cond, op: e.currentTarget.value as Op })}>
        {OPS.map((o) => (
          <option key={o} value={o}>
            {OP_LABELS[o]}
          </option>
        ))}
      </select>
      {cond.op !== 'exists' && cond.op !== 'notExists' && (
        <>
          <label for={`v-${key}`} class="sr-only">
            Value
          </label>
          <input id={`v-${key}`} value={cond.value} placeholder={cond.op === 'in' || cond.op === 'notIn' ? 'a, b, c' : ''} onInput={(e) => props.onChange({ ...cond, value: e.currentTarget.value })} />
        </>
      )}
      <button type="button" class="secondary" aria-label="Remove this condition" onClick={() => props.onChange(undefined)}>
        ×
      </button>
    </li>
  );
}

function GroupEditor(props: { group: Group; path: readonly number[]; onChange: (path: readonly number[], next: Condition | Group | undefined) => void }) {
  const { group, path } = props;
  return (
    <fieldset class="rule-group">
      <legend>
        <label>
          <span class="sr-only">How the conditions of this group combine</span>
          <select value={group.join} onChange={(e) => props.onChange(path, { ...group, join: e.currentTarget.value as 'all' | 'any' })}>
            <option value="all">All of these</option>
            <option value="any">Any of these</option>
          </select>
        </label>
      </legend>
      <ul class="rules">
        {group.children.map((c, i) =>
          c.kind === 'cond' ? (
            <ConditionRow key={i} cond={c} path={[...path, i]} onChange={(next) => props.onChange([...path, i], next)} />
          ) : (
            <li key={i}>
              <GroupEditor group={c} path={[...path, i]} onChange={props.onChange} />
            </li>
          ),
        )}
      </ul>
      <div class="actions">
        <button type="button" class="secondary" onClick={() => props.onChange(path, { ...group, children: [...group.children, newCondition()] })}>
          Add condition
        </button>
        <button type="button" class="secondary" onClick={() => props.onChange(path, { ...group, children: [...group.children, newGroup(group.join === 'all' ? 'any' : 'all')] })}>
          Add group
        </button>
        {path.length > 0 && (
          <button type="button" class="secondary" onClick={() => props.onChange(path, undefined)}>
            Remove group
          </button>
        )}
      </div>
    </fieldset>
  );
}

export function Segments({ api }: Ctx) {
  const list = useLoad(() => api.get<{ segments: Segment[] }>('/v1/segments'), []);
  const topics = useLoad(() => api.get<{ topics: { id: string; name: string }[] }>('/v1/topics'), []);
  const [meta, setMeta] = useState({ id: '', name: '', description: '', topic: '' });
  const [editing, setEditing] = useState<string | undefined>();
  const [root, setRoot] = useState<Group>(newGroup());
  const [count, setCount] = useState<Count | undefined>();
  const [countError, setCountError] = useState<unknown>();
  const [done, setDone] = useState('');
  const seq = useRef(0);

  const change = (path: readonly number[], next: Condition | Group | undefined) => setRoot((r) => updateAt(r, path, next));

  // The live count: a moment after the last change, counted by the API as a campaign to the topic would be.
  useEffect(() => {
    if (!meta.topic || root.children.length === 0) return;
    const n = ++seq.current;
    const timer = setTimeout(async () => {
      try {
        const c = await api.post<Count>('/v1/segments/preview', { rules: toRules(root), topic: meta.topic });
        if (n === seq.current) (setCount(c), setCountError(undefined));
      } catch (e) {
        if (n === seq.current) (setCount(undefined), setCountError(e));
      }
    }, 400);
    return () => clearTimeout(timer);
  }, [root, meta.topic]);

  const save = useAction(async () => {
    const body = { name: meta.name, ...(meta.description ? { description: meta.description } : {}), rules: toRules(root) };
    if (editing) await api.put(`/v1/segments/${editing}`, body);
    else await api.post('/v1/segments', { id: meta.id, ...body });
    setDone(`Segment ${meta.name} saved.`);
    setEditing(meta.id);
    await list.reload();
  });
  const remove = useAction(async (id: string) => {
    await api.del(`/v1/segments/${id}`);
    if (editing === id) (setEditing(undefined), setRoot(newGroup()), setMeta({ id: '', name: '', description: '', topic: meta.topic }));
    setDone(`Segment ${id} deleted.`);
    await list.reload();
  });

  return (
    <Page title="Segments">
      <Loading state={list} what="segments">
        {(d) =>
          d.segments.length === 0 ? (
            <p>No segments yet. Build the first one below.</p>
          ) : (
            <table>
              <caption class="sr-only">Segments</caption>
              <thead>
                <tr>
                  <th scope="col">Id</th>
                  <th scope="col">Name</th>
                  <th scope="col">Changed</th>
                  <th scope="col">
                    <span class="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {d.segments.map((s) => (
                  <tr key={s.id}>
                    <th scope="row">
                      <code>{s.id}</code>
                    </th>
                    <td>{s.name}</td>
                    <td>{s.updatedAt.slice(0, 16).replace('T', ' ')}</td>
                    <td>
                      <button
                        type="button"
                        class="secondary"
                        onClick={() => (setEditing(s.id), setMeta({ ...meta, id: s.id, name: s.name, description: s.description ?? '' }), setRoot(fromRules(s.rules)))}
                      >
                        Edit {s.name}
                      </button>{' '}
                      <button type="button" class="danger" onClick={() => void remove.run(s.id)}>
                        Delete {s.name}
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </Loading>
      <div class="editor">
        <form
          class="panel"
          aria-labelledby="segment-h"
          onSubmit={(e) => {
            e.preventDefault();
            setDone('');
            void save.run();
          }}
        >
          <h2 id="segment-h">{editing ? `Segment ${editing}` : 'New segment'}</h2>
          <div class="grid2">
            <div>
              <label for="seg-id">Id</label>
              <input id="seg-id" required disabled={editing !== undefined} pattern="[a-z0-9][a-z0-9_\-]*" value={meta.id} onInput={(e) => setMeta({ ...meta, id: e.currentTarget.value })} />
            </div>
            <div>
              <label for="seg-name">Name</label>
              <input id="seg-name" required value={meta.name} onInput={(e) => setMeta({ ...meta, name: e.currentTarget.value })} />
            </div>
          </div>
          <label for="seg-description">Description</label>
          <input id="seg-description" value={meta.description} onInput={(e) => setMeta({ ...meta, description: e.currentTarget.value })} />
          <h3>Who is in it</h3>
          <GroupEditor group={root} path={[]} onChange={change} />
          <p class="help">
            Dates: <code>createdAt</code>, <code>lastOpenedAt</code>, <code>lastClickedAt</code> (human opens and clicks only) take “within the last … days” or a date. <code>timeZone</code> is
            the zone mail is timed in; <code>consent.&lt;topic&gt;</code> is <code>opted_in</code>, <code>opted_out</code> or <code>pending</code>.
          </p>
          <ErrorBox error={save.error ?? remove.error} title="The segment was not saved" />
          <button type="submit" disabled={save.busy}>
            {editing ? 'Save changes' : 'Create segment'}
          </button>
          {editing && (
            <button type="button" class="secondary" onClick={() => (setEditing(undefined), setRoot(newGroup()), setMeta({ id: '', name: '', description: '', topic: meta.topic }))}>
              New segment
            </button>
          )}
          <Status>{done}</Status>
        </form>
        <section class="panel" aria-labelledby="count-h" aria-live="polite">
          <h2 id="count-h">How many</h2>
          <label for="seg-topic">Among the subscribers of</label>
          <select id="seg-topic" value={meta.topic} onChange={(e) => setMeta({ ...meta, topic: e.currentTarget.value })}>
            <option value="">(choose a topic)</option>
            {(topics.data?.topics ?? []).map((t) => (
              <option key={t.id} value={t.id}>
                {t.name} ({t.id})
              </option>
            ))}
          </select>
          <ErrorBox error={countError} title="No count" />
          {count && (
            <div id="segment-count">
              <dl class="figures">
                <div>
                  <dt>In the segment</dt>
                  <dd data-figure="selected">{num(count.audience - count.excluded)}</dd>
                </div>
                <div>
                  <dt>Would get mail now</dt>
                  <dd data-figure="eligible">{num(count.eligible)}</dd>
                </div>
                <div>
                  <dt>In quiet hours now</dt>
                  <dd data-figure="deferred">{num(count.deferred)}</dd>
                </div>
                <div>
                  <dt>Topic subscribers</dt>
                  <dd data-figure="audience">{num(count.audience)}</dd>
                </div>
              </dl>
              {!count.complete && <p class="muted">Counted from a sample: the figures are at least these.</p>}
              <ul id="segment-held">
                {Object.entries(count.held)
                  .filter(([, n]) => n > 0)
                  .map(([r, n]) => (
                    <li key={r}>
                      {reasonLabel(r)}: {num(n)}
                    </li>
                  ))}
              </ul>
            </div>
          )}
        </section>
      </div>
    </Page>
  );
}
