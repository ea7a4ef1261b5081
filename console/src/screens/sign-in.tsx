/** Sign in: an API key on the local stack (kept in this tab only), the Cognito hosted sign-in on AWS. */
import { useEffect, useRef, useState } from 'preact/hooks';
import { basePath, routeOf } from '../router.ts';
import { setKey, startCognitoSignIn, type ConsoleConfig } from '../session.ts';
import { ErrorBox } from '../ui.tsx';

export function SignIn(props: { config: ConsoleConfig; notice?: string; error?: unknown; onSignedIn: () => void }) {
  const [key, setKeyValue] = useState('');
  const [error, setError] = useState<unknown>(props.error);
  const h1 = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = 'Sign in · Sendwell console';
    h1.current?.focus();
  }, []);
  useEffect(() => setError(props.error), [props.error]);
  const auth = props.config.auth;
  return (
    <main id="main" class="sign-in">
      <h1 tabIndex={-1} ref={h1}>
        Sign in to the Sendwell console
      </h1>
      {props.notice && (
        <p class="notice" role="status">
          {props.notice}
        </p>
      )}
      <ErrorBox error={error} title="Could not sign in" />
      {auth.kind === 'key' ? (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            if (!key.trim()) return setError(new Error('Enter an API key.'));
            setKey(key.trim());
            props.onSignedIn();
          }}
        >
          <label for="api-key">API key</label>
          <input id="api-key" type="password" autoComplete="off" spellcheck={false} required value={key} onInput={(e) => setKeyValue(e.currentTarget.value)} aria-describedby="key-help" />
          <p id="key-help" class="help">
            The admin key printed by <code>npm start</code> (<code>.sendwell/admin-key</code>), or a role key for marketing, ops or privacy from{' '}
            <code>.sendwell/role-keys.json</code>. It stays in this browser tab only and is sent as <code>Authorization: Bearer</code>.
          </p>
          <button type="submit">Sign in</button>
        </form>
      ) : (
        <>
          <p>Sign in with your organisation's account. You will come back here afterwards.</p>
          <button
            type="button"
            onClick={() => startCognitoSignIn(auth, routeOf(location.pathname, basePath())).catch((e: unknown) => setError(e))}
          >
            Sign in
          </button>
        </>
      )}
    </main>
  );
}
