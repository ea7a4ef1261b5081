/**
 * Links are values, not strings: every `href` of a template is parsed as a URL, and only `http`, `https` and
 * `mailto` are allowed. A literal href is checked when the template is saved; an href with a variable in it is
 * checked again for each recipient, after rendering, because only then is it a URL at all. A browser strips tabs
 * and line breaks from a URL and trims control characters around it (`java\nscript:` is `javascript:`), so the check
 * parses the value as the WHATWG URL parser does, never by looking at its first characters.
 */
import { createHash } from 'node:crypto';
import type { ErrorDetail } from './errors.ts';
import { SYSTEM_VARIABLES } from './template.ts';

export const ALLOWED_SCHEMES = ['http:', 'https:', 'mailto:'] as const;

/** An `href` attribute of any element, double-, single- or un-quoted. `\s` before `href` keeps `data-href` out. */
const HREF = /<[A-Za-z][^>]*?\shref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+))/g;
const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;
// Read when called, not at load: template.ts imports this module too.
const isSystem = (name: string) => (SYSTEM_VARIABLES as readonly string[]).includes(name);

export type SafeUrl = { readonly ok: true; readonly url: string; readonly scheme: string } | { readonly ok: false; readonly reason: string };

/**
 * The value of an href as the absolute URL a browser would follow, if it is one Sendwell allows.
 *
 * @example
 * safeUrl('https://shop.example/a b')   // { ok: true, url: 'https://shop.example/a%20b', scheme: 'https:' }
 * safeUrl('java\nscript:alert(1)')      // { ok: false, reason: 'javascript: is not allowed (only http, https, mailto)' }
 * safeUrl('/relative')                  // { ok: false, reason: 'not an absolute URL' }
 */
export function safeUrl(value: string): SafeUrl {
  if (!URL.canParse(value)) return { ok: false, reason: value.trim() === '' ? 'empty' : 'not an absolute URL' };
  const url = new URL(value);
  if (!(ALLOWED_SCHEMES as readonly string[]).includes(url.protocol)) {
    return { ok: false, reason: `${url.protocol} is not allowed (only http, https, mailto)` };
  }
  if (url.protocol !== 'mailto:' && url.hostname === '') return { ok: false, reason: 'no host' };
  return { ok: true, url: url.href, scheme: url.protocol };
}

export interface TemplateHref {
  /** The attribute value as written, entities decoded. */
  readonly value: string;
  /** A variable other than Sendwell's own links is part of it: it is a URL only once rendered. */
  readonly templated: boolean;
}

/** Every href of an HTML part, in order. */
export function hrefsIn(html: string): TemplateHref[] {
  return [...html.matchAll(HREF)].map((m) => {
    const value = decodeEntities(m[1] ?? m[2] ?? m[3] ?? '');
    const names = [...value.matchAll(PLACEHOLDER)].map((p) => p[1] ?? '');
    return { value, templated: names.some((n) => !isSystem(n)) };
  });
}

/**
 * What keeps a template's HTML from being saved: a literal href that is not an allowed URL, or a templated one whose
 * fixed start already names a scheme that is not allowed (`javascript:{{code}}`). An href that is exactly one of
 * Sendwell's own variables (`{{unsubscribe_url}}`) is Sendwell's URL.
 *
 * @example
 * checkTemplateHrefs('<a href="javascript:alert(1)">x</a><a href="{{url}}">y</a>')
 * // [{ path: 'html', message: 'link 1 (javascript:alert(1)): javascript: is not allowed (only http, https, mailto)' }]
 */
export function checkTemplateHrefs(html: string): ErrorDetail[] {
  const problems: ErrorDetail[] = [];
  hrefsIn(html).forEach((href, i) => {
    const name = `link ${i + 1} (${shorten(href.value)})`;
    const withoutOwn = href.value.replace(PLACEHOLDER, (whole, n: string) => (isSystem(n) ? 'https://sendwell.invalid/' : whole));
    if (!href.templated) {
      const checked = safeUrl(withoutOwn);
      if (!checked.ok) problems.push({ path: 'html', message: `${name}: ${checked.reason}` });
      return;
    }
    // The fixed part before the first variable: if it already names a scheme, that scheme must be allowed.
    const head = withoutOwn.slice(0, withoutOwn.search(/\{\{/)).replace(/[\t\n\r]/g, '').replace(/^[\x00-\x20]+/, '');
    const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(head)?.[1];
    if (scheme !== undefined && !(ALLOWED_SCHEMES as readonly string[]).includes(`${scheme.toLowerCase()}:`)) {
      problems.push({ path: 'html', message: `${name}: ${scheme.toLowerCase()}: is not allowed (only http, https, mailto)` });
    }
  });
  return problems;
}

/** A rendered href that is not an allowed URL: which link of the template, and why (no personal data). */
export interface RefusedHref {
  /** 1-based position among the template's hrefs. */
  readonly link: number;
  /** The href as written in the template (`{{profile_url}}`): names the variable, not its value. */
  readonly template: string;
  readonly reason: string;
}

/**
 * Checks, for one recipient, every href of the rendered HTML whose template href had a variable in it. The
 * rendered part has the template's hrefs in the same order (values are escaped, so data cannot add an attribute).
 */
export function refusedHrefs(templateHtml: string, renderedHtml: string): RefusedHref[] {
  const written = hrefsIn(templateHtml);
  const rendered = hrefsIn(renderedHtml);
  const refused: RefusedHref[] = [];
  written.forEach((w, i) => {
    if (!w.templated) return;
    const checked = safeUrl(rendered[i]?.value ?? '');
    if (!checked.ok) refused.push({ link: i + 1, template: shorten(w.value), reason: checked.reason });
  });
  return refused;
}

/**
 * The id of a message's link set: the tracked URLs that do not depend on the recipient (`null` for those that do).
 * Content-addressed, so every recipient of one template shares it and storing it again changes nothing.
 */
export function linkSetId(links: readonly (string | null)[]): string {
  return createHash('sha256').update(JSON.stringify(links)).digest().subarray(0, 16).toString('base64url');
}

const shorten = (s: string) => (s.length > 80 ? `${s.slice(0, 77)}…` : s).replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);

const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", colon: ':', tab: '\t', newline: '\n' };
const CHARACTER_REFERENCE = /&(?:#(\d{1,7})|#[xX]([0-9a-fA-F]{1,6})|(amp|lt|gt|quot|apos|colon|tab|newline));?/g;

/** HTML character references in an attribute value, decoded as a browser would (`&#106;avascript:` is `javascript:`). */
export function decodeEntities(value: string): string {
  return value.replace(CHARACTER_REFERENCE, (whole, dec?: string, hex?: string, name?: string) => {
    if (name !== undefined) return NAMED[name] ?? whole;
    const cp = dec !== undefined ? Number.parseInt(dec, 10) : Number.parseInt(hex ?? '', 16);
    return cp > 0 && cp <= 0x10ffff ? String.fromCodePoint(cp) : whole;
  });
}
