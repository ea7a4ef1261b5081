/**
 * IP addresses are kept only in pseudonymous form (a promise of the privacy policy). Anything that needs the
 * real address — spotting Apple Mail Privacy Protection or a prefetcher by its network — looks at it in memory,
 * before this runs; what is stored is only the output of {@link pseudonymizeIp}.
 */
import { createHmac } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';

// Keeps these HMACs apart from anything else the same key might be used for.
const CONTEXT = 'sendwell:ip:v1\0';
const OUTPUT_BYTES = 16;

/**
 * A keyed, truncated pseudonym of an IP address: base64url, 22 characters, or `null` when the input is not an IP
 * address. The raw address is never returned, not even for invalid input.
 *
 * The network prefix is kept and the host part dropped before hashing: IPv4 to its /24, IPv6 to its /48 (IPv4-mapped
 * IPv6 counts as IPv4, so a dual-stack socket gives the same pseudonym). A keyed hash alone is pseudonymous only as
 * long as the key stays secret: there are 2^32 IPv4 addresses, so whoever has the key can hash them all and read
 * every stored value back. Truncating first means even a leaked key reveals a network, not a household. What the
 * value is for — "the opt-in and the confirmation came from the same network", counting distinct openers — needs
 * no more than that. Rotating the key makes old and new pseudonyms unlinkable, which is acceptable here.
 *
 * @example
 * pseudonymizeIp('203.0.113.9', key) === pseudonymizeIp('203.0.113.200', key) // true: same /24
 * pseudonymizeIp('::ffff:203.0.113.9', key) === pseudonymizeIp('203.0.113.9', key) // true
 * pseudonymizeIp('not an ip', key) // null
 */
export function pseudonymizeIp(ip: string | null | undefined, key: Buffer | string): string | null {
  const prefix = typeof ip === 'string' ? networkPrefix(ip.trim()) : undefined;
  if (prefix === undefined) return null;
  return createHmac('sha256', key)
    .update(CONTEXT + prefix.family)
    .update(prefix.bytes)
    .digest()
    .subarray(0, OUTPUT_BYTES)
    .toString('base64url');
}

interface Prefix {
  readonly family: 'v4' | 'v6';
  readonly bytes: Uint8Array;
}

function networkPrefix(ip: string): Prefix | undefined {
  if (isIPv4(ip)) return { family: 'v4', bytes: ipv4Bytes(ip).subarray(0, 3) };
  // A zone (`fe80::1%eth0`) names an interface on this host, not part of the address.
  const bare = ip.replace(/%.*$/s, '');
  if (!isIPv6(bare)) return undefined;
  const bytes = ipv6Bytes(bare);
  const mapped = bytes.subarray(0, 12).every((b, i) => b === (i < 10 ? 0 : 0xff));
  if (mapped) return { family: 'v4', bytes: bytes.subarray(12, 15) };
  return { family: 'v6', bytes: bytes.subarray(0, 6) };
}

function ipv4Bytes(ip: string): Uint8Array {
  return Uint8Array.from(ip.split('.'), Number);
}

/** Expands a valid IPv6 address (checked by `isIPv6`) to its 16 bytes. */
function ipv6Bytes(ip: string): Uint8Array {
  const groups = (part: string): number[] => {
    if (part === '') return [];
    return part.split(':').flatMap((g) => {
      if (!g.includes('.')) return [Number.parseInt(g, 16)];
      const [a = 0, b = 0, c = 0, d = 0] = ipv4Bytes(g);
      return [(a << 8) | b, (c << 8) | d];
    });
  };
  const [head = '', tail] = ip.split('::');
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  const words = [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  return Uint8Array.from(words.flatMap((w) => [w >> 8, w & 0xff]));
}
