/**
 * The form bodies the public pages take: `application/x-www-form-urlencoded` (the pages' own forms, most RFC 8058
 * one-click senders) and `multipart/form-data` (the other one-click encoding). Small text forms only: at most
 * {@link FORM_LIMITS}, no files. Parsed here rather than with a general multipart library (busboy alone was 26 KiB of
 * every page's bundle, issue 17): a form of a few short fields needs none of its streaming.
 */

/** Form fields after parsing: a value, or several for a repeated name (ticked checkboxes). */
export type FormFields = Readonly<Record<string, string | readonly string[] | undefined>>;

export const FORM_LIMITS = { fields: 200, fieldBytes: 4096, bodyBytes: 256 * 1024 } as const;

/** Why a body is not a form the pages take. */
export class FormError extends Error {
  override readonly name = 'FormError';
  /** The page answers it with a 400 (middleware/page.ts). */
  readonly statusCode = 400;
}

/**
 * The fields of a form body, or `undefined` when the content type is no form encoding (the body is then not ours to
 * read). `body` as API Gateway hands it over, `base64` when it says `isBase64Encoded`.
 *
 * @throws {FormError} for a form that breaks the limits or cannot be read.
 */
export function parseFormBody(contentType: string | undefined, body: string, base64: boolean): FormFields | undefined {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded' && type !== 'multipart/form-data') return undefined;
  const raw = base64 ? Buffer.from(body, 'base64') : Buffer.from(body, 'utf8');
  if (raw.length > FORM_LIMITS.bodyBytes) throw new FormError(`a form body is at most ${FORM_LIMITS.bodyBytes} bytes`);
  const pairs = type === 'multipart/form-data' ? multipartPairs(raw, boundaryOf(contentType!)) : [...new URLSearchParams(raw.toString('utf8'))];
  if (pairs.length > FORM_LIMITS.fields) throw new FormError(`a form has at most ${FORM_LIMITS.fields} fields`);
  const out: Record<string, string | string[]> = Object.create(null) as Record<string, string | string[]>;
  for (const [name, value] of pairs) {
    if (Buffer.byteLength(value) > FORM_LIMITS.fieldBytes) throw new FormError(`a form field is at most ${FORM_LIMITS.fieldBytes} bytes`);
    const before = out[name];
    out[name] = before === undefined ? value : Array.isArray(before) ? [...before, value] : [before, value];
  }
  return out;
}

/** The `boundary` parameter of a multipart content type (RFC 2046 §5.1.1: 1-70 characters, maybe quoted). */
function boundaryOf(contentType: string): string {
  const m = /;\s*boundary=(?:"([^"]{1,70})"|([^\s;"]{1,70}))/i.exec(contentType);
  const boundary = m?.[1] ?? m?.[2];
  if (!boundary) throw new FormError('a multipart form needs its boundary');
  return boundary;
}

/**
 * The name and text of each part: `--boundary` lines delimit the parts, the last one closed with `--`; in each part the
 * headers end at the first empty line, and `Content-Disposition: form-data; name="…"` names it. A part with a
 * `filename` is a file: the pages take none.
 */
function multipartPairs(raw: Buffer, boundary: string): Array<[string, string]> {
  const text = raw.toString('latin1');
  const delimiter = `--${boundary}`;
  const start = text.indexOf(delimiter);
  if (start < 0) throw new FormError('the multipart body does not start with its boundary');
  const pairs: Array<[string, string]> = [];
  let at = start + delimiter.length;
  for (;;) {
    if (text.startsWith('--', at)) return pairs;
    if (!text.startsWith('\r\n', at)) throw new FormError('a multipart boundary line must end with CRLF');
    const next = text.indexOf(`\r\n${delimiter}`, at + 2);
    if (next < 0) throw new FormError('the multipart body ends before its closing boundary');
    const part = text.slice(at + 2, next);
    const split = part.indexOf('\r\n\r\n');
    if (split < 0) throw new FormError('a multipart part has no header end');
    const headers = part.slice(0, split);
    const disposition = /^content-disposition:\s*form-data\s*;(.*)$/im.exec(headers)?.[1];
    if (disposition === undefined) throw new FormError('a multipart part is not form-data');
    if (/(?:^|;)\s*filename\*?=/i.test(disposition)) throw new FormError('the pages take no files');
    const name = /(?:^|;)\s*name="([^"]*)"/i.exec(disposition)?.[1] ?? /(?:^|;)\s*name=([^\s;]+)/i.exec(disposition)?.[1];
    if (name === undefined) throw new FormError('a multipart part has no name');
    // Parts are UTF-8 (what browsers and mail clients send); the split above is on ASCII bytes only.
    pairs.push([Buffer.from(name, 'latin1').toString('utf8'), Buffer.from(part.slice(split + 4), 'latin1').toString('utf8')]);
    at = next + 2 + delimiter.length;
  }
}
