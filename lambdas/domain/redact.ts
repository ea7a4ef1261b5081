/**
 * Masks email addresses and IP addresses in free text, for logs. Keeps the domain of an address (useful to ops:
 * "all the bounces are at one provider") and nothing that identifies the person.
 *
 * @example
 * redact('bounce for Jane.Doe@example.com from 203.0.113.9') // 'bounce for ***@example.com from [ip]'
 * redact('listening on http://127.0.0.1:8000')               // unchanged: loopback is no one's address
 */
const EMAIL = /[\p{L}\p{N}._%+'!#$&*/=?^`{|}~-]+@([\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)+)/gu;
const IPV4 = /\b(?:\d{1,3}\.){3}\d{1,3}\b/g;
// Eight full groups, or a compressed form with `::`. Clock times (`00:12:25`) have three groups and no `::`.
const IPV6 = /\b(?:[0-9a-f]{1,4}:){7}[0-9a-f]{1,4}\b|\b(?:[0-9a-f]{1,4}:){1,7}:(?:[0-9a-f]{1,4}(?::[0-9a-f]{1,4}){0,6})?|::(?:[0-9a-f]{1,4}:){0,6}[0-9a-f]{1,4}\b/gi;

// Loopback addresses name this machine, not a person: keep them, so local endpoints stay readable.
const keepLoopback = (m: string) => (m.startsWith('127.') || m === '::1' ? m : '[ip]');

export function redact(text: string): string {
  if (!text.includes('@') && !text.includes('.') && !text.includes(':')) return text;
  return text.replace(EMAIL, '***@$1').replace(IPV4, keepLoopback).replace(IPV6, keepLoopback);
}

/** A JSON replacer for loggers: every string value passes through {@link redact}. */
export const redactingReplacer = (_key: string, value: unknown): unknown => (typeof value === 'string' ? redact(value) : value);
