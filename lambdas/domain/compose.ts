/**
 * Builds a message ready to hand to SES: rendered parts, the unsubscribe headers marketing needs, the open pixel
 * and click tracking where the recipient allows them. Everything that ends up in a header is checked here, so no
 * template, caller value or token can add a header line.
 */
import { normalizeEmail } from './email-address.ts';
import { type ErrorDetail, SendwellError } from './errors.ts';
import { escapeHtml, renderTemplate, type Template, validateTemplate } from './template.ts';

/** URLs Sendwell made for this message and recipient (each carries its own signed token). */
export interface ComposeLinks {
  /** The preference page (`/p/TOKEN`); every mail gets one. */
  readonly preferencesUrl: string;
  /** Marketing: the footer link, a page that asks before it unsubscribes (`GET /u/TOKEN`). */
  readonly unsubscribeUrl?: string;
  /** Marketing: the `List-Unsubscribe` URL a mail client POSTs to for one-click unsubscribe (RFC 8058). */
  readonly oneClickUrl?: string;
  /** Marketing, optional: a `mailto:` alternative for clients that cannot POST. */
  readonly mailtoUnsubscribe?: string;
  /** The double opt-in mail's confirm link. */
  readonly confirmUrl?: string;
  /** The open pixel (`/o/TOKEN.gif`); used only when tracking is allowed. */
  readonly pixelUrl?: string;
  /** The tracked URL (`/c/TOKEN`) for the link at `index` in {@link ComposedMessage.links}; only when tracking is allowed. */
  readonly clickUrl?: (index: number) => string;
}

export interface ComposeInput {
  readonly template: Template;
  readonly data: Readonly<Record<string, unknown>>;
  readonly recipient: { readonly address: string };
  readonly links: ComposeLinks;
  /** The result of `trackingAllowed(recipient)`: the pixel and click rewriting happen only when true. */
  readonly trackingAllowed: boolean;
  readonly postalAddress: string;
  readonly from: string;
}

export interface MailHeader {
  readonly name: string;
  readonly value: string;
}

export interface ComposedMessage {
  readonly from: string;
  /** The recipient's address as typed, with the domain in canonical ASCII form. */
  readonly to: string;
  readonly subject: string;
  readonly html: string;
  readonly text: string;
  /** Extra headers for SES `Simple.Headers`; every value checked to be one line of printable ASCII. */
  readonly headers: readonly MailHeader[];
  /** The original URL of each tracked link; `clickUrl(i)` stands for `links[i]`. Empty when nothing was tracked. */
  readonly links: readonly string[];
  /** Template variables that had no value and rendered empty. */
  readonly missing: readonly string[];
}

/**
 * Composes one message for one recipient.
 *
 * Marketing gets `List-Unsubscribe: <oneClickUrl>, <mailtoUnsubscribe>` and
 * `List-Unsubscribe-Post: List-Unsubscribe=One-Click`; service mail gets neither (there is nothing to unsubscribe
 * from). With tracking allowed, `http(s)` links in the HTML part go through `clickUrl`, except Sendwell's own
 * links (unsubscribe, preferences, confirm): those must work without a redirect and must never be counted as
 * clicks. The text part is left alone: finding URLs in free text is guesswork, and a wrong guess breaks a link.
 *
 * @throws {SendwellError} `validation_failed` when the template is not sendable, a marketing link or the postal
 * address is missing, or an address, URL or header value could inject a header line.
 * @example
 * composeMessage({
 *   template: { class: 'marketing', topic: 'news', subject: 'Hi {{name}}', html: '…{{unsubscribe_url}}…{{postal_address}}…', text: '…' },
 *   data: { name: 'Jane' },
 *   recipient: { address: 'jane@example.com' },
 *   links: { preferencesUrl: 'https://m.example/p/P', unsubscribeUrl: 'https://m.example/u/U', oneClickUrl: 'https://m.example/u/U',
 *            mailtoUnsubscribe: 'mailto:unsubscribe@m.example?subject=U', pixelUrl: 'https://m.example/o/O.gif' },
 *   trackingAllowed: true,
 *   postalAddress: '1 Main St, Springfield',
 *   from: 'News <news@m.example>',
 * }).headers
 * // [{ name: 'List-Unsubscribe', value: '<https://m.example/u/U>, <mailto:unsubscribe@m.example?subject=U>' },
 * //  { name: 'List-Unsubscribe-Post', value: 'List-Unsubscribe=One-Click' }]
 */
export function composeMessage(input: ComposeInput): ComposedMessage {
  const { template, links } = input;
  const problems = validateTemplate(template);
  if (problems.length > 0) invalid('template cannot be sent', problems);

  const to = normalizeEmail(input.recipient.address);
  if (!to.ok) invalid('recipient address is not valid', [{ path: 'recipient.address', message: to.reason }]);
  const from = singleLine(input.from, 'from');

  const headers: MailHeader[] = [];
  if (template.class === 'marketing') {
    if (input.postalAddress.trim() === '') {
      invalid('marketing needs a postal address', [{ path: 'postalAddress', message: 'empty' }]);
    }
    const footer = webUrl(links.unsubscribeUrl, 'links.unsubscribeUrl');
    const oneClick = webUrl(links.oneClickUrl, 'links.oneClickUrl');
    if (footer === undefined || oneClick === undefined) {
      const message = 'unsubscribeUrl and oneClickUrl are required';
      invalid('marketing needs unsubscribe links', [{ path: 'links', message }]);
    }
    const mailto = mailtoUrl(links.mailtoUnsubscribe);
    headers.push(
      header('List-Unsubscribe', [oneClick, mailto].filter((u) => u !== undefined).map((u) => `<${u}>`).join(', ')),
      header('List-Unsubscribe-Post', 'List-Unsubscribe=One-Click'),
    );
  }

  const rendered = renderTemplate(template, input.data, {
    unsubscribe_url: links.unsubscribeUrl,
    preferences_url: links.preferencesUrl,
    postal_address: input.postalAddress,
    confirm_url: links.confirmUrl,
  });

  let html = rendered.html;
  let tracked: string[] = [];
  if (input.trackingAllowed) {
    if (links.clickUrl !== undefined) {
      const own = [links.unsubscribeUrl, links.oneClickUrl, links.preferencesUrl, links.confirmUrl].filter(
        (u): u is string => u !== undefined && u !== '',
      );
      ({ html, links: tracked } = trackLinks(html, links.clickUrl, own));
    }
    const pixel = webUrl(links.pixelUrl, 'links.pixelUrl');
    if (pixel !== undefined) html = insertPixel(html, pixel);
  }

  return {
    from,
    to: to.display,
    subject: singleLine(rendered.subject, 'subject'),
    html,
    text: rendered.text,
    headers,
    links: tracked,
    missing: rendered.missing,
  };
}

function invalid(message: string, details: readonly ErrorDetail[]): never {
  throw new SendwellError('validation_failed', message, details);
}

const HEADER_NAME = /^[\x21-\x39\x3b-\x7e]+$/; // printable ASCII but `:`
const HEADER_VALUE = /^[\x20-\x7e]+$/; // printable ASCII and space: no CR, LF, tab, NUL or 8-bit

function header(name: string, value: string): MailHeader {
  if (!HEADER_NAME.test(name) || !HEADER_VALUE.test(value)) {
    const detail = { path: `headers.${name}`, message: JSON.stringify(value) };
    invalid('header value is not one line of printable ASCII', [detail]);
  }
  return { name, value };
}

// SES takes `from` and `subject` as structured fields, not as header text we assemble, so what must not get
// through is a line break or other control character. Format characters stay: emoji sequences and right-to-left
// marks are legitimate in a subject.
function singleLine(value: string, path: string): string {
  if (value.trim() === '' || /[\p{Cc}\u2028\u2029]/u.test(value)) {
    const detail = { path, message: JSON.stringify(value) };
    invalid(`${path} must be one non-empty line without control characters`, [detail]);
  }
  return value;
}

// A URL placed in `<…>` in a header or in an HTML attribute: no spaces, no angle brackets, ASCII only.
const URL_CHARS = /^[\x21-\x3b\x3d\x3f-\x7e]+$/;

/** An absolute https URL (http only on loopback, for the local stack); `undefined` in, `undefined` out. */
function webUrl(value: string | undefined, path: string): string | undefined {
  if (value === undefined) return undefined;
  const url = URL.canParse(value) ? new URL(value) : undefined;
  const loopback = url !== undefined && ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  const allowed = url !== undefined && (url.protocol === 'https:' || (url.protocol === 'http:' && loopback));
  if (!allowed || !URL_CHARS.test(value)) invalid('not a usable https URL', [{ path, message: JSON.stringify(value) }]);
  return value;
}

function mailtoUrl(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!/^mailto:/i.test(value) || !URL_CHARS.test(value)) {
    invalid('not a usable mailto URL', [{ path: 'links.mailtoUnsubscribe', message: JSON.stringify(value) }]);
  }
  return value;
}

// The href of an `<a>` tag, double-, single- or un-quoted. `\s` before `href` keeps `data-href` out.
const ANCHOR_HREF = /(<a\b[^>]*?\shref\s*=\s*)(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+))/gi;

function trackLinks(html: string, clickUrl: (index: number) => string, own: readonly string[]) {
  const links: string[] = [];
  const out = html.replace(ANCHOR_HREF, (whole, lead: string, dq?: string, sq?: string, bare?: string) => {
    const url = decodeEntities(dq ?? sq ?? bare ?? '').trim();
    // Only a URL the click endpoint can redirect to is worth a token; anything else stays as written.
    if (!/^https?:\/\//i.test(url) || !URL.canParse(url) || own.some((o) => url.startsWith(o))) return whole;
    const tracked = webUrl(clickUrl(links.length), 'links.clickUrl');
    links.push(url);
    return `${lead}"${escapeHtml(tracked ?? '')}"`;
  });
  return { html: out, links };
}

function insertPixel(html: string, pixelUrl: string): string {
  const img = `<img src="${escapeHtml(pixelUrl)}" width="1" height="1" alt="">`;
  const end = html.toLowerCase().lastIndexOf('</body>');
  return end < 0 ? html + img : html.slice(0, end) + img + html.slice(end);
}

const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

// Enough of HTML's character references to recover a URL from an attribute: the named ones escaping produces,
// and numeric ones. Others stay as written, which at worst tracks a URL exactly as the browser would not.
const CHARACTER_REFERENCE = /&(?:#(\d{1,7})|#[xX]([0-9a-fA-F]{1,6})|(amp|lt|gt|quot|apos));/g;

function decodeEntities(value: string): string {
  return value.replace(CHARACTER_REFERENCE, (whole, dec?: string, hex?: string, name?: string) => {
    if (name !== undefined) return NAMED[name] ?? whole;
    const cp = dec !== undefined ? Number.parseInt(dec, 10) : Number.parseInt(hex ?? '', 16);
    return cp > 0 && cp <= 0x10ffff ? String.fromCodePoint(cp) : whole;
  });
}
