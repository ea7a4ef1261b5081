/** The start screen: what this person can do, by role. */
import type { Ctx } from '../main.tsx';
import { navFor } from '../roles.ts';
import { Link, Page } from '../ui.tsx';

const WHAT: Record<string, string> = {
  campaigns: 'Compose, test, schedule and launch campaigns; watch them send.',
  templates: 'Write templates with a live preview and the marketing checks.',
  topics: 'The topics people subscribe to.',
  import: 'Bring in recipients from a CSV or JSON-lines file, with a report per row.',
  figures: 'Sent, delivered, bounces, complaints and opens over time, against SES thresholds.',
  deliverability: 'Recent bounces and complaints, and the marketing pause switch.',
  suppressions: 'Look up an address, see why it is suppressed, lift a suppression with a reason.',
  people: 'Find a person: consent and its proof, export their data, erase them.',
};

export function Home({ me }: Ctx) {
  const nav = navFor(me.roles);
  return (
    <Page title="Welcome">
      {nav.length === 0 ? (
        <p>Your account has no console role yet. Ask an administrator for marketing, ops or privacy.</p>
      ) : (
        <ul class="cards">
          {nav.map((n) => (
            <li key={n.path} class="card">
              <h2>
                <Link to={n.path}>{n.label}</Link>
              </h2>
              <p>{WHAT[n.path]}</p>
            </li>
          ))}
        </ul>
      )}
    </Page>
  );
}
