/**
 * Templates: the list, and the editor with a live preview — the subject, the HTML in a sandboxed frame (no
 * scripts, no same-origin access) and the text part, rendered by the API for a sample recipient — and the
 * marketing checks (unsubscribe link, postal address) shown before saving.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from '../api.ts';
import type { Ctx } from '../main.tsx';
import { navigate } from '../router.ts';
import { ErrorBox, Link, Loading, Page, Status, useAction, useLoad } from '../ui.tsx';

interface Template {
  id: string;
  class: 'service' | 'marketing';
  topic?: string;
  subject: string;
  html: string;
  text: string;
  updatedAt?: string;
}

interface Preview {
  subject: string;
  html: string;
  text: string;
  problems: { field: string; message: string }[];
  /** Variables the template uses that had no value for the sample (rendered empty). */
  missing?: string[];
}

export function Templates({ api }: Ctx) {
  const list = useLoad(() => api.get<{ templates: Template[] }>('/v1/templates'), []);
  return (
    <Page
      title="Templates"
      actions={
        <Link to="templates/new" class="button">
          New template
        </Link>
      }
    >
      <Loading state={list} what="templates">
        {(d) =>
          d.templates.length === 0 ? (
            <p>No templates yet.</p>
          ) : (
            <table>
              <caption class="sr-only">Templates</caption>
              <thead>
                <tr>
                  <th scope="col">Template</th>
                  <th scope="col">Class</th>
                  <th scope="col">Topic</th>
                  <th scope="col">Subject</th>
                  <th scope="col">Changed</th>
                </tr>
              </thead>
              <tbody>
                {d.templates.map((t) => (
                  <tr key={t.id}>
                    <th scope="row">
                      <Link to={`templates/${encodeURIComponent(t.id)}`}>{t.id}</Link>
                    </th>
                    <td>{t.class}</td>
                    <td>{t.topic ?? '–'}</td>
                    <td>{t.subject}</td>
                    <td>{t.updatedAt?.slice(0, 16).replace('T', ' ') ?? ''}</td>
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

const STARTER: Template = {
  id: '',
  class: 'marketing',
  subject: 'News for {{name}}',
  html: '<h1>Hello {{name}}</h1>\n<p>What is new this week.</p>\n<p><a href="{{unsubscribe_url}}">Unsubscribe</a> · <a href="{{preferences_url}}">Preferences</a><br>{{postal_address}}</p>',
  text: 'Hello {{name}}\n\nWhat is new this week.\n\nUnsubscribe: {{unsubscribe_url}}\nPreferences: {{preferences_url}}\n{{postal_address}}',
};

export function TemplateEditor({ api, id }: Ctx & { id?: string }) {
  const existing = useLoad(() => (id ? api.get<Template>(`/v1/templates/${encodeURIComponent(id)}`) : Promise.resolve(STARTER)), [id]);
  const topics = useLoad(() => api.get<{ topics: { id: string; name: string }[] }>('/v1/topics'), []);
  const [t, setT] = useState<Template | undefined>();
  const [sample, setSample] = useState({ email: '', data: '{"name": "Ada"}' });
  const [preview, setPreview] = useState<Preview | undefined>();
  const [previewError, setPreviewError] = useState<unknown>();
  const [saved, setSaved] = useState('');
  const seq = useRef(0);

  useEffect(() => {
    if (existing.data) setT({ ...existing.data });
  }, [existing.data]);

  // The preview follows the fields, a moment after typing stops; a late answer never overwrites a newer one.
  useEffect(() => {
    if (!t) return;
    const n = ++seq.current;
    const timer = setTimeout(async () => {
      let data: unknown;
      try {
        data = sample.data.trim() ? JSON.parse(sample.data) : undefined;
      } catch {
        setPreviewError(new Error('The sample data is not valid JSON.'));
        return;
      }
      try {
        const body = {
          ...(t.id ? { id: t.id } : {}),
          class: t.class,
          ...(t.topic && t.class === 'marketing' ? { topic: t.topic } : {}),
          subject: t.subject,
          html: t.html,
          text: t.text,
          sample: { ...(sample.email.trim() ? { email: sample.email.trim() } : {}), ...(data ? { data } : {}) },
        };
        const p = await api.post<Preview>('/v1/templates/preview', body);
        if (n === seq.current) {
          setPreview(p);
          setPreviewError(undefined);
        }
      } catch (e) {
        if (n === seq.current) setPreviewError(e);
      }
    }, 350);
    return () => clearTimeout(timer);
  }, [t, sample]);

  const save = useAction(async () => {
    if (!t) return;
    // Service mail has no topic: one chosen before the class changed is not sent (the API would refuse it).
    const body = { id: t.id, class: t.class, ...(t.topic && t.class === 'marketing' ? { topic: t.topic } : {}), subject: t.subject, html: t.html, text: t.text };
    if (id) await api.put(`/v1/templates/${encodeURIComponent(id)}`, body);
    else await api.post('/v1/templates', body);
    setSaved(`Template ${t.id} saved.`);
    if (!id) navigate(`templates/${encodeURIComponent(t.id)}`, true);
  });

  const set = (patch: Partial<Template>) => {
    setSaved('');
    save.setError(undefined);
    setT((old) => (old ? { ...old, ...patch } : old));
  };
  const problems = preview?.problems ?? [];
  return (
    <Page title={id ? `Template ${id}` : 'New template'}>
      <ErrorBox error={existing.error} title="Could not load the template" />
      {t && (
        <div class="editor">
          <form
            class="panel"
            aria-label="Template"
            onSubmit={(e) => {
              e.preventDefault();
              void save.run();
            }}
          >
            <div class="grid2">
              <div>
                <label for="tpl-id">Id</label>
                <input id="tpl-id" required disabled={!!id} value={t.id} onInput={(e) => set({ id: e.currentTarget.value })} />
              </div>
              <div>
                <label for="tpl-class">Class</label>
                <select id="tpl-class" value={t.class} onChange={(e) => set({ class: e.currentTarget.value as Template['class'] })}>
                  <option value="marketing">marketing (needs an opt-in to the topic)</option>
                  <option value="service">service (mandatory mail)</option>
                </select>
              </div>
            </div>
            {t.class === 'marketing' && (
              <>
                <label for="tpl-topic">Topic</label>
                <select id="tpl-topic" value={t.topic ?? ''} onChange={(e) => set({ topic: e.currentTarget.value || undefined })}>
                  <option value="">(choose a topic)</option>
                  {(topics.data?.topics ?? []).map((o) => (
                    <option key={o.id} value={o.id}>
                      {o.name} ({o.id})
                    </option>
                  ))}
                </select>
              </>
            )}
            <label for="tpl-subject">Subject</label>
            <input id="tpl-subject" required value={t.subject} onInput={(e) => set({ subject: e.currentTarget.value })} />
            <label for="tpl-html">HTML part</label>
            <textarea id="tpl-html" rows={10} required spellcheck={false} class="code" value={t.html} onInput={(e) => set({ html: e.currentTarget.value })} />
            <label for="tpl-text">Text part</label>
            <textarea id="tpl-text" rows={7} required spellcheck={false} class="code" value={t.text} onInput={(e) => set({ text: e.currentTarget.value })} />
            <p class="help">
              Variables: <code>{'{{name}}'}</code> and any attribute or campaign value; Sendwell fills <code>{'{{unsubscribe_url}}'}</code>,{' '}
              <code>{'{{preferences_url}}'}</code> and <code>{'{{postal_address}}'}</code>.
            </p>
            <section aria-labelledby="checks-h" class="checks">
              <h2 id="checks-h">Checks</h2>
              {!preview ? (
                <p class="muted">Checking…</p>
              ) : problems.length === 0 ? (
                <p class="ok" data-testid="checks-ok">
                  ✓ All checks pass{t.class === 'marketing' ? ': unsubscribe link and postal address in both parts.' : '.'}
                </p>
              ) : (
                <ul class="problems">
                  {problems.map((p, i) => (
                    <li key={i}>
                      <strong>{p.field}</strong>: {p.message}
                    </li>
                  ))}
                </ul>
              )}
            </section>
            <ErrorBox error={save.error} title="The template was not saved" />
            <button type="submit" disabled={save.busy}>
              Save template
            </button>
            <Status>{saved}</Status>
          </form>
          <section class="panel preview" aria-labelledby="preview-h">
            <h2 id="preview-h">Preview</h2>
            <div class="grid2">
              <div>
                <label for="sample-email">Sample recipient (address)</label>
                <input id="sample-email" type="email" placeholder="a known recipient, or leave empty" value={sample.email} onInput={(e) => setSample({ ...sample, email: e.currentTarget.value })} />
              </div>
              <div>
                <label for="sample-data">Sample data (JSON)</label>
                <input id="sample-data" class="code" value={sample.data} onInput={(e) => setSample({ ...sample, data: e.currentTarget.value })} />
              </div>
            </div>
            {previewError ? (
              <ErrorBox error={previewError} title={previewError instanceof ApiError && previewError.status === 404 ? 'The API has no preview' : 'No preview'} />
            ) : null}
            {preview && (
              <>
                <p>
                  <strong>Subject:</strong> <span data-testid="preview-subject">{preview.subject}</span>
                </p>
                {preview.missing && preview.missing.length > 0 && (
                  <p class="help" id="preview-missing">
                    No value for the sample: {preview.missing.map((m) => `{{${m}}}`).join(', ')} (rendered empty).
                  </p>
                )}
                <iframe title="HTML part, as rendered for the sample recipient" sandbox="" srcdoc={preview.html} class="mail-frame" />
                <h3>Text part</h3>
                <pre class="mail-text" data-testid="preview-text">
                  {preview.text}
                </pre>
              </>
            )}
          </section>
        </div>
      )}
    </Page>
  );
}
