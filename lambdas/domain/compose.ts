/**
 * Builds a message ready to hand to SES: rendered parts, the unsubscribe headers marketing needs, the open pixel
 * and click tracking where the recipient allows them. Everything that ends up in a header is checked here, so no
 * template, caller value or token can add a header line.
 */
import { addressProblem, normalizeEmail } from './email-address.ts';
import { type ErrorDetail, SendwellError, UnsafeLink } from './errors.ts';
import { decodeEntities, linkSetId, refusedHrefs, safeUrl } from './hrefs.ts';
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
  /**
   * The tracked URL (`/c/TOKEN`) for the link at `index` in {@link ComposedMessage.links}; only when tracking is
   * allowed. `linkSet` names the message's {@link ComposedMessage.linkSet}, so the link still resolves once the
   * message record is gone (erasure).
   */
  readonly clickUrl?: (index: number, linkSet?: string) => string;
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
  /**
   * The URL of each tracked link (as the URL parser writes it: absolute and encoded); `clickUrl(i)` stands for
   * `links[i]`. Empty when nothing was tracked.
   */
  readonly links: readonly string[];
  /**
   * The tracked links that are the same for every recipient of the template, by index (`null` where the href had a
   * variable in it, which may be personal), and its content-addressed id. Stored apart from the recipient, it lets a
   * link in old mail reach its destination after the person's data was erased. Absent when no such link was tracked.
   */
  readonly linkSet?: { readonly id: string; readonly links: readonly (string | null)[] };
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
 * @throws {UnsafeLink} when an href with a variable in it renders, for this recipient, to anything but an http,
 * https or mailto URL.
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
  if (!to.ok) invalid('recipient address is not valid', [{ path: 'recipient.address', message: addressProblem(to.reason) }]);
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

  const refused = refusedHrefs(template.html, rendered.html);
  if (refused.length > 0) throw new UnsafeLink(refused.map((r) => ({ path: `html.link.${r.link}`, message: `${r.template}: ${r.reason}` })));

  let html = rendered.html;
  let tracked: string[] = [];
  let linkSet: ComposedMessage['linkSet'];
  if (input.trackingAllowed) {
    if (links.clickUrl !== undefined) {
      const own = [links.unsubscribeUrl, links.oneClickUrl, links.preferencesUrl, links.confirmUrl].filter(
        (u): u is string => u !== undefined && u !== '',
      );
      ({ html, links: tracked, linkSet } = trackLinks(html, templatedAnchors(template.html), links.clickUrl, own));
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
    ...(linkSet ? { linkSet } : {}),
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
const VARIABLE = /\{\{\s*([^{}]*?)\s*\}\}/g;
const OWN_VARIABLES = new Set(['unsubscribe_url', 'preferences_url', 'confirm_url']);

/** For each `<a href>` of the template, in order: whether a variable (other than Sendwell's own links) is in it. */
function templatedAnchors(html: string): boolean[] {
  return [...html.matchAll(ANCHOR_HREF)].map((m) => [...(m[2] ?? m[3] ?? m[4] ?? '').matchAll(VARIABLE)].some((v) => !OWN_VARIABLES.has(v[1] ?? '')));
}

function trackLinks(html: string, templated: readonly boolean[], clickUrl: (index: number, linkSet?: string) => string, own: readonly string[]) {
  // First pass: which anchors are tracked, and the URL each stands for (parsed, so CR/LF or spaces from data become
  // an encoded URL, never a broken Location header).
  const targets: Array<{ url: string; personal: boolean } | undefined> = [];
  let anchor = 0;
  html.replace(ANCHOR_HREF, (whole, _lead: string, dq?: string, sq?: string, bare?: string) => {
    const raw = decodeEntities(dq ?? sq ?? bare ?? '').trim();
    const parsed = safeUrl(raw);
    // Only a URL the click endpoint can redirect to is worth a token; anything else stays as written.
    const trackable = /^https?:\/\//i.test(raw) && parsed.ok && parsed.scheme !== 'mailto:' && !own.some((o) => raw.startsWith(o));
    // Anchors of the rendered part are the template's, in order (values are escaped: data cannot add one).
    targets.push(trackable && parsed.ok ? { url: parsed.url, personal: templated[anchor] ?? true } : undefined);
    anchor++;
    return whole;
  });
  const links = targets.filter((t) => t !== undefined).map((t) => t.url);
  const shared = targets.filter((t) => t !== undefined).map((t) => (t.personal ? null : t.url));
  const linkSet = shared.some((u) => u !== null) ? { id: linkSetId(shared), links: shared } : undefined;
  let index = 0;
  let position = 0;
  const out = html.replace(ANCHOR_HREF, (whole, lead: string) => {
    const target = targets[position++];
    if (target === undefined) return whole;
    const i = index++;
    const tracked = webUrl(clickUrl(i, target.personal ? undefined : linkSet?.id), 'links.clickUrl');
    return `${lead}"${escapeHtml(tracked ?? '')}"`;
  });
  return { html: out, links, linkSet };
}

function insertPixel(html: string, pixelUrl: string): string {
  const img = `<img src="${escapeHtml(pixelUrl)}" width="1" height="1" alt="">`;
  const end = html.toLowerCase().lastIndexOf('</body>');
  return end < 0 ? html + img : html.slice(0, end) + img + html.slice(end);
}
