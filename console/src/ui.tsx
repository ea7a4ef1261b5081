/** Building blocks every screen uses: links, the page frame (title and focus), errors, loading, dialogs. */
import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from './api.ts';
import { navigate } from './router.ts';

/** A link to a console route; a plain click stays in the app, a modified click opens a tab as usual. */
export function Link(props: { to: string; children: ComponentChildren; class?: string; 'aria-current'?: 'page' }) {
  return (
    <a
      href={props.to}
      class={props.class}
      aria-current={props['aria-current']}
      onClick={(e) => {
        if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
        e.preventDefault();
        navigate(props.to);
      }}
    >
      {props.children}
    </a>
  );
}

/** A screen: its heading gets the focus when the route changes (screen readers announce it), and the tab its title. */
export function Page(props: { title: string; children: ComponentChildren; actions?: ComponentChildren }) {
  const h1 = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${props.title} · Sendwell console`;
    h1.current?.focus();
  }, [props.title]);
  return (
    <section class="page" aria-labelledby="page-title">
      <div class="page-head">
        <h1 id="page-title" tabIndex={-1} ref={h1}>
          {props.title}
        </h1>
        {props.actions && <div class="actions">{props.actions}</div>}
      </div>
      {props.children}
    </section>
  );
}

/** An error as the API said it, with the fields it names. Announced at once (role=alert). */
export function ErrorBox(props: { error: unknown; title?: string }) {
  if (!props.error) return null;
  const e = props.error;
  const message = e instanceof Error ? e.message : String(e);
  const details = e instanceof ApiError ? e.details : [];
  const code = e instanceof ApiError ? e.code : undefined;
  return (
    <div class="error-box" role="alert">
      <p>
        <strong>{props.title ?? (e instanceof ApiError && e.status === 403 ? 'Not allowed' : 'Something went wrong')}:</strong> {message}
        {code && <span class="code"> ({code})</span>}
      </p>
      {details.length > 0 && (
        <ul>
          {details.map((d, i) => (
            <li key={i}>
              {d.path ? <code>{d.path}</code> : null}
              {d.path ? ': ' : ''}
              {d.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

export interface Loaded<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => Promise<void>;
}

/** Runs `load` now and whenever `deps` change; the screen renders loading, the error, or the data. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: true });
  const run = useCallback(async () => {
    setState((s) => ({ ...s, loading: true }));
    try {
      const data = await load();
      setState({ data, loading: false });
    } catch (error) {
      setState({ error, loading: false });
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);
  useEffect(() => {
    void run();
  }, [run]);
  return { data: state.data, error: state.error, loading: state.loading, reload: run };
}

/** What a data region shows while loading or on error; its children otherwise. */
export function Loading<T>(props: { state: Loaded<T>; children: (data: T) => ComponentChildren; what: string }) {
  if (props.state.error) return <ErrorBox error={props.state.error} title={`Could not load ${props.what}`} />;
  if (props.state.data === undefined) return <p class="muted">Loading {props.what}…</p>;
  return <>{props.children(props.state.data)}</>;
}

/** Runs an action: busy while it runs, its error kept for an ErrorBox. */
export function useAction<A extends unknown[], T>(fn: (...args: A) => Promise<T>) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const run = async (...args: A): Promise<T | undefined> => {
    setBusy(true);
    setError(undefined);
    try {
      return await fn(...args);
    } catch (e) {
      setError(e);
      return undefined;
    } finally {
      setBusy(false);
    }
  };
  return { run, busy, error, setError };
}

/** A modal confirmation (`<dialog>`: focus moves in and is kept there; Escape cancels). */
export function Confirm(props: { open: boolean; title: string; children: ComponentChildren; confirm: string; danger?: boolean; onConfirm: () => void; onCancel: () => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (props.open && !d.open) d.showModal();
    if (!props.open && d.open) d.close();
  }, [props.open]);
  return (
    <dialog ref={ref} aria-labelledby="confirm-title" onCancel={(e) => (e.preventDefault(), props.onCancel())}>
      <h2 id="confirm-title">{props.title}</h2>
      <div>{props.children}</div>
      <div class="actions">
        <button type="button" class="secondary" onClick={props.onCancel}>
          Cancel
        </button>
        <button type="button" class={props.danger ? 'danger' : undefined} onClick={props.onConfirm}>
          {props.confirm}
        </button>
      </div>
    </dialog>
  );
}

/** A polite live region for results and progress. */
export function Status(props: { children: ComponentChildren; id?: string }) {
  return (
    <p class="status" role="status" aria-live="polite" id={props.id}>
      {props.children}
    </p>
  );
}

export function Badge(props: { status: string }) {
  return <span class={`badge badge-${props.status}`}>{props.status.replace(/_/g, ' ')}</span>;
}
