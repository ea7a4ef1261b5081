/**
 * A small router over the History API. Routes are paths below the console's base (`<base href>`, `/console/` by
 * default): `campaigns/cmp_1`. The local gateway (and the deployed site) answer every such path with index.html.
 */
import { useEffect, useState } from 'preact/hooks';

export const basePath = () => new URL(document.baseURI).pathname;

/** The route below the base: `/console/campaigns/x` → `campaigns/x`. Pure. */
export function routeOf(pathname: string, base: string): string {
  const b = base.endsWith('/') ? base : `${base}/`;
  if (pathname === b.slice(0, -1)) return '';
  return pathname.startsWith(b) ? decodeURI(pathname.slice(b.length)).replace(/\/+$/, '') : '';
}

/** Matches `campaigns/:id` against `campaigns/cmp_1` → `{id: 'cmp_1'}`, or undefined. Pure. */
export function match(pattern: string, route: string): Record<string, string> | undefined {
  const p = pattern.split('/');
  const r = route.split('/');
  if (p.length !== r.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < p.length; i++) {
    if (p[i]!.startsWith(':')) params[p[i]!.slice(1)] = r[i]!;
    else if (p[i] !== r[i]) return undefined;
  }
  return params;
}

const listeners = new Set<() => void>();
export function navigate(route: string, replace = false) {
  const url = `${basePath()}${route}`;
  if (replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  listeners.forEach((l) => l());
}

export function useRoute(): { route: string; search: URLSearchParams } {
  const read = () => ({ route: routeOf(location.pathname, basePath()), search: new URLSearchParams(location.search) });
  const [state, setState] = useState(read);
  useEffect(() => {
    const update = () => setState(read());
    listeners.add(update);
    addEventListener('popstate', update);
    return () => {
      listeners.delete(update);
      removeEventListener('popstate', update);
    };
  }, []);
  return state;
}
