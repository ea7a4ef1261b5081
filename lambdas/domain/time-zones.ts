/**
 * Recipients' time zones and wall-clock arithmetic in them, with nothing but `Intl` (Node's full ICU knows every
 * IANA zone and which zones each country has). Pure: no clock is read, every instant is an argument.
 */

/** The zone used when neither the recipient nor their country gives one and the stage sets no default. */
export const FALLBACK_TIME_ZONE = 'UTC';

const zoneCache = new Map<string, string | undefined>();

/**
 * The canonical spelling of an IANA zone name (`europe/berlin` → `Europe/Berlin`), or `undefined` when `Intl` does not
 * know it. Offsets such as `+02:00` are refused: a recipient lives in a place, whose offset changes with DST.
 *
 * @example
 * canonicalTimeZone('america/los_angeles') // 'America/Los_Angeles'
 * canonicalTimeZone('Mars/Olympus')        // undefined
 */
export function canonicalTimeZone(name: string): string | undefined {
  if (zoneCache.has(name)) return zoneCache.get(name);
  let canonical: string | undefined;
  if (/^[A-Za-z][A-Za-z0-9_+\-/]{0,63}$/.test(name)) {
    try {
      canonical = new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
    } catch {
      canonical = undefined;
    }
  }
  if (zoneCache.size < 2000) zoneCache.set(name, canonical);
  return canonical;
}

export const isValidTimeZone = (name: string): boolean => canonicalTimeZone(name) !== undefined;

const countryCache = new Map<string, string | undefined>();

/**
 * The zone of a country that has one: every zone ICU lists for it keeps the same offsets all year (Germany lists
 * `Europe/Berlin` and `Europe/Busingen`, which never differ, so it has one; the United States has many). `undefined`
 * for a country with several, an unknown code, or none.
 *
 * @example
 * singleZoneOfCountry('DE') // 'Europe/Berlin'
 * singleZoneOfCountry('US') // undefined
 */
export function singleZoneOfCountry(country: string | null | undefined): string | undefined {
  const code = (country ?? '').trim().toUpperCase();
  if (!/^[A-Z]{2}$/.test(code)) return undefined;
  if (countryCache.has(code)) return countryCache.get(code);
  let zone: string | undefined;
  try {
    const locale = new Intl.Locale(`und-${code}`) as Intl.Locale & { getTimeZones?: () => string[] | undefined; timeZones?: string[] };
    const zones = locale.getTimeZones?.() ?? locale.timeZones ?? [];
    if (zones.length === 1) zone = zones[0];
    else if (zones.length > 1 && zones.every((z) => sameRules(z, zones[0]!))) zone = zones[0];
  } catch {
    zone = undefined;
  }
  countryCache.set(code, zone);
  return zone;
}

/** Two zones agree when their offsets are equal at every sample instant of two years (every 6 days: DST included). */
function sameRules(a: string, b: string): boolean {
  const start = Date.UTC(2025, 0, 1);
  for (let t = start; t < start + 2 * 366 * 86_400_000; t += 6 * 86_400_000) {
    if (offsetMs(new Date(t), a) !== offsetMs(new Date(t), b)) return false;
  }
  return true;
}

export type TimeZoneSource = 'recipient' | 'country' | 'default';

/**
 * The zone a recipient's mail is timed in: their own, else their country's single zone, else the stage default.
 *
 * @example
 * recipientTimeZone({ country: 'JP' })                          // { timeZone: 'Asia/Tokyo', source: 'country' }
 * recipientTimeZone({ country: 'US' }, 'America/New_York')      // { timeZone: 'America/New_York', source: 'default' }
 * recipientTimeZone({ timeZone: 'Pacific/Kiritimati' })         // { timeZone: 'Pacific/Kiritimati', source: 'recipient' }
 */
export function recipientTimeZone(
  recipient: { readonly timeZone?: string | null | undefined; readonly country?: string | null | undefined },
  defaultTimeZone: string = FALLBACK_TIME_ZONE,
): { timeZone: string; source: TimeZoneSource } {
  const own = recipient.timeZone ? canonicalTimeZone(recipient.timeZone) : undefined;
  if (own) return { timeZone: own, source: 'recipient' };
  const byCountry = singleZoneOfCountry(recipient.country);
  if (byCountry) return { timeZone: byCountry, source: 'country' };
  return { timeZone: canonicalTimeZone(defaultTimeZone) ?? FALLBACK_TIME_ZONE, source: 'default' };
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(zone, f);
  }
  return f;
}

/** Wall-clock fields of an instant in a zone. Months 1-12. */
export interface WallTime {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
}

export function wallTime(instant: Date, zone: string): WallTime {
  const parts: Record<string, number> = {};
  for (const p of formatter(zone).formatToParts(instant)) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  return { year: parts.year!, month: parts.month!, day: parts.day!, hour: parts.hour! % 24, minute: parts.minute!, second: parts.second! };
}

/** The zone's offset from UTC at `instant`, in ms (Kiritimati +14 h, Los Angeles −8 h in winter). */
export function offsetMs(instant: Date, zone: string): number {
  const w = wallTime(instant, zone);
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  return asUtc - Math.floor(instant.getTime() / 1000) * 1000;
}

/**
 * The instant a wall-clock time happens in `zone`. A time that does not exist (skipped by a DST change) is taken
 * at the offset from before the change, i.e. as late as the clocks say; an ambiguous one (repeated) at its first
 * occurrence.
 *
 * @example
 * zonedInstant({ year: 2026, month: 12, day: 6, hour: 9, minute: 0, second: 0 }, 'America/Los_Angeles').toISOString()
 * // '2026-12-06T17:00:00.000Z'
 */
export function zonedInstant(w: WallTime, zone: string): Date {
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  // The zone's offsets around that day (a day before and after bracket any change on it): each gives a candidate.
  const offsets = new Set([-86_400_000, 0, 86_400_000].map((d) => offsetMs(new Date(asUtc + d), zone)));
  const candidates = [...offsets].map((o) => asUtc - o).sort((a, b) => a - b);
  // The earliest candidate that shows the wanted wall time (a repeated time: its first occurrence); none for a
  // skipped time, then the latest (the offset from before the change: as late as the clocks say).
  for (const c of candidates) {
    const back = wallTime(new Date(c), zone);
    if (back.hour === w.hour && back.minute === w.minute && back.day === w.day) return new Date(c);
  }
  return new Date(candidates[candidates.length - 1]!);
}

/** `"2026-12-06T09:00:00"` (no offset) → its wall-clock fields; `undefined` if it is not one. */
export function parseWallTime(text: string): WallTime | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,3})?)?$/.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[6] ?? '0'].map(Number) as [number, number, number, number, number, number];
  const check = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  if (check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) return undefined;
  return { year, month, day, hour, minute, second };
}

/** `HH:MM` (00:00-23:59) → minutes after midnight, or `undefined`. */
export function parseClock(text: string): number | undefined {
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(text);
  return m ? Number(m[1]) * 60 + Number(m[2]) : undefined;
}
