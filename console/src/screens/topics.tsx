/** Topics: the list, and a form to create one. */
import { useState } from 'preact/hooks';
import type { Ctx } from '../main.tsx';
import { ErrorBox, Loading, Page, Status, useAction, useLoad } from '../ui.tsx';

interface Topic {
  id: string;
  name: string;
  description: string;
  doubleOptIn: boolean;
  createdAt: string;
}

export function Topics({ api }: Ctx) {
  const topics = useLoad(() => api.get<{ topics: Topic[] }>('/v1/topics'), []);
  const [form, setForm] = useState({ id: '', name: '', description: '', doubleOptIn: false });
  const [done, setDone] = useState('');
  const create = useAction(async () => {
    const t = await api.post<Topic>('/v1/topics', form);
    setForm({ id: '', name: '', description: '', doubleOptIn: false });
    await topics.reload();
    setDone(`Topic ${t.name} (${t.id}) created.`);
  });
  return (
    <Page title="Topics">
      <Loading state={topics} what="topics">
        {(d) =>
          d.topics.length === 0 ? (
            <p>No topics yet. Create the first one below.</p>
          ) : (
            <table>
              <caption class="sr-only">Topics</caption>
              <thead>
                <tr>
                  <th scope="col">Id</th>
                  <th scope="col">Name</th>
                  <th scope="col">Description</th>
                  <th scope="col">Double opt-in everywhere</th>
                </tr>
              </thead>
              <tbody>
                {d.topics.map((t) => (
                  <tr key={t.id}>
                    <th scope="row">
                      <code>{t.id}</code>
                    </th>
                    <td>{t.name}</td>
                    <td>{t.description}</td>
                    <td>{t.doubleOptIn ? 'yes' : 'where the law requires it'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </Loading>
      <form
        class="panel"
        aria-labelledby="new-topic"
        onSubmit={(e) => {
          e.preventDefault();
          setDone('');
          void create.run();
        }}
      >
        <h2 id="new-topic">New topic</h2>
        <div class="grid2">
          <div>
            <label for="topic-id">Id</label>
            <input id="topic-id" required maxLength={64} pattern="[a-z0-9][a-z0-9_\-]*" value={form.id} onInput={(e) => setForm({ ...form, id: e.currentTarget.value })} aria-describedby="topic-id-help" />
            <p id="topic-id-help" class="help">
              Lower-case letters, digits, dashes and underscores (up to 64); used in the API and in links.
            </p>
          </div>
          <div>
            <label for="topic-name">Name</label>
            <input id="topic-name" required value={form.name} onInput={(e) => setForm({ ...form, name: e.currentTarget.value })} />
          </div>
        </div>
        <label for="topic-description">Description</label>
        <input id="topic-description" value={form.description} onInput={(e) => setForm({ ...form, description: e.currentTarget.value })} />
        <label class="check">
          <input type="checkbox" checked={form.doubleOptIn} onChange={(e) => setForm({ ...form, doubleOptIn: e.currentTarget.checked })} /> Ask everyone to confirm their opt-in
          (not only where the law requires it)
        </label>
        <ErrorBox error={create.error} title="The topic was not created" />
        <button type="submit" disabled={create.busy}>
          Create topic
        </button>
        <Status>{done}</Status>
      </form>
    </Page>
  );
}
