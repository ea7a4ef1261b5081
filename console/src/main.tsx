/**
 * The console's entry: reads `config.json` (how to sign in, where the API is), finishes a Cognito sign-in when the
 * browser comes back from it, asks the API who is signed in (`GET /v1/me`), and shows the screens that person's
 * roles allow.
 */
import { render } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { ApiError, createApi, type Api } from './api.ts';
import { isRole, navFor, type Role } from './roles.ts';
import { match, navigate, useRoute } from './router.ts';
import { clearSession, currentToken, finishCognitoSignIn, freshToken, signOut, type ConsoleConfig } from './session.ts';
import { ErrorBox, Link } from './ui.tsx';
import { SignIn } from './screens/sign-in.tsx';
import { Home } from './screens/home.tsx';
import { Topics } from './screens/topics.tsx';
import { TemplateEditor, Templates } from './screens/templates.tsx';
import { Import } from './screens/import.tsx';
import { CampaignComposer, CampaignDetail, Campaigns } from './screens/campaigns.tsx';
import { Figures } from './screens/figures.tsx';
import { Deliverability } from './screens/deliverability.tsx';
import { Suppressions } from './screens/suppressions.tsx';
import { People, Person } from './screens/people.tsx';
import { Segments } from './screens/segments.tsx';
import { Delivery } from './screens/delivery.tsx';
import { Journeys } from './screens/journeys.tsx';

export interface Me {
  readonly id: string;
  readonly roles: readonly Role[];
  readonly kind: string;
}

export interface Ctx {
  readonly api: Api;
  readonly me: Me;
}

/** `GET /v1/me`: who is signed in, and with which roles (the only ones the console knows are kept). */
async function whoAmI(api: Api): Promise<Me> {
  const me = await api.get<{ id: string; roles: unknown[]; kind: string }>('/v1/me');
  return { id: me.id, kind: me.kind, roles: me.roles.filter(isRole) };
}

type Screen = [pattern: string, view: (ctx: Ctx, params: Record<string, string>) => preact.JSX.Element];

const SCREENS: Screen[] = [
  ['', (c) => <Home {...c} />],
  ['topics', (c) => <Topics {...c} />],
  ['segments', (c) => <Segments {...c} />],
  ['delivery', (c) => <Delivery {...c} />],
  ['journeys', (c) => <Journeys {...c} />],
  ['templates', (c) => <Templates {...c} />],
  ['templates/new', (c) => <TemplateEditor {...c} />],
  ['templates/:id', (c, p) => <TemplateEditor {...c} id={p.id} />],
  ['import', (c) => <Import {...c} />],
  ['campaigns', (c) => <Campaigns {...c} />],
  ['campaigns/new', (c) => <CampaignComposer {...c} />],
  ['campaigns/:id', (c, p) => <CampaignDetail {...c} id={p.id!} />],
  ['figures', (c) => <Figures {...c} />],
  ['deliverability', (c) => <Deliverability {...c} />],
  ['suppressions', (c) => <Suppressions {...c} />],
  ['people', (c) => <People {...c} />],
  ['people/:id', (c, p) => <Person {...c} id={p.id!} />],
];

function App(props: { config: ConsoleConfig }) {
  const { route } = useRoute();
  const [token, setToken] = useState(currentToken());
  const [me, setMe] = useState<Me | undefined>();
  const [error, setError] = useState<unknown>();
  const [notice, setNotice] = useState<string | undefined>();
  const api = useMemo(
    () =>
      createApi(props.config.apiBase, () => freshToken(props.config.auth), () => {
        clearSession();
        setMe(undefined);
        setToken(undefined);
        setNotice('Your session ended or the key was refused. Sign in again.');
      }),
    [props.config.apiBase],
  );

  useEffect(() => {
    if (!token) return;
    setError(undefined);
    whoAmI(api).then(setMe, (e: unknown) => {
      // A refused key was handled by onUnauthorized; anything else is shown on the sign-in screen.
      if (!(e instanceof ApiError && e.status === 401)) setError(e);
      clearSession();
      setToken(undefined);
    });
  }, [token, api]);

  if (!token || !me) {
    if (token && !error) return <p class="boot" role="status">Signing in…</p>;
    return (
      <SignIn
        config={props.config}
        notice={notice}
        error={error}
        onSignedIn={() => {
          setNotice(undefined);
          setToken(currentToken());
        }}
      />
    );
  }

  const ctx: Ctx = { api, me };
  const nav = navFor(me.roles);
  let view: preact.JSX.Element | undefined;
  for (const [pattern, make] of SCREENS) {
    const params = match(pattern, route);
    if (params) {
      view = make(ctx, params);
      break;
    }
  }
  const section = route.split('/')[0];
  const allowed = section === '' || nav.some((n) => n.path === section);
  return (
    <>
      <a class="skip" href="#main" onClick={(e) => (e.preventDefault(), document.getElementById('page-title')?.focus())}>
        Skip to content
      </a>
      <header class="top">
        <Link to="" class="brand">
          Sendwell console
        </Link>
        <p class="who">
          Signed in as <strong>{me.id}</strong> <span class="muted">({me.roles.join(', ') || 'no role'})</span>
        </p>
        <button type="button" class="secondary" onClick={() => (signOut(props.config.auth), setMe(undefined), setToken(undefined))}>
          Sign out
        </button>
      </header>
      <div class="layout">
        <nav aria-label="Console">
          {(['Marketing', 'Ops', 'Privacy'] as const).map((group) => {
            const items = nav.filter((n) => n.group === group);
            if (!items.length) return null;
            return (
              <div key={group}>
                <h2 class="nav-group">{group}</h2>
                <ul>
                  {items.map((n) => (
                    <li key={n.path}>
                      <Link to={n.path} aria-current={section === n.path ? 'page' : undefined}>
                        {n.label}
                      </Link>
                    </li>
                  ))}
                </ul>
              </div>
            );
          })}
        </nav>
        <main id="main">
          {!view ? (
            <section class="page">
              <h1 tabIndex={-1}>Not found</h1>
              <p>
                There is no screen at <code>{route}</code>. <Link to="">Back to the start</Link>.
              </p>
            </section>
          ) : !allowed ? (
            <section class="page">
              <h1 tabIndex={-1}>Not allowed</h1>
              <ErrorBox error={new ApiError(403, 'forbidden', `Your roles (${me.roles.join(', ') || 'none'}) do not include this screen.`)} />
            </section>
          ) : (
            view
          )}
        </main>
      </div>
    </>
  );
}

async function boot() {
  const root = document.getElementById('app')!;
  try {
    const res = await fetch('config.json', { cache: 'no-store' });
    if (!res.ok) throw new Error(`config.json answered HTTP ${res.status}`);
    const config = (await res.json()) as ConsoleConfig;
    if (config.auth.kind === 'cognito') {
      const returnTo = await finishCognitoSignIn(config.auth);
      if (returnTo !== undefined) navigate(returnTo, true);
    }
    // The "Loading…" line of index.html is not Preact's: render() would keep it beside the app.
    root.replaceChildren();
    render(<App config={config} />, root);
  } catch (e) {
    root.replaceChildren();
    render(
      <main class="page">
        <h1>The console could not start</h1>
        <ErrorBox error={e} />
        <p>
          <a href="">Try again</a>
        </p>
      </main>,
      root,
    );
  }
}

void boot();
