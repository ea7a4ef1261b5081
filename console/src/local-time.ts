/**
 * A local-time campaign's timeline: when each time zone reaches the campaign's wall-clock time, earliest first. Pure
 * (Intl only), so the console shows what the engine does: `Etc/GMT-14` (UTC+14) first, where the launch is armed.
 */

/** Representative zones, one per whole offset people live at, named by a city. */
export const TIMELINE_ZONES: ReadonlyArray<readonly [zone: string, label: string]> = [
  ['Pacific/Kiritimati', 'Kiritimati (UTC+14)'],
  ['Pacific/Auckland', 'Auckland'],
  ['Australia/Sydney', 'Sydney'],
  ['Asia/Tokyo', 'Tokyo'],
  ['Asia/Shanghai', 'Shanghai, Singapore'],
  ['Asia/Bangkok', 'Bangkok, Jakarta'],
  ['Asia/Kolkata', 'India'],
  ['Asia/Dubai', 'Dubai'],
  ['Europe/Moscow', 'Moscow, Istanbul'],
  ['Europe/Berlin', 'Berlin, Paris, Lagos'],
  ['Europe/London', 'London, Lisbon'],
  ['UTC', 'UTC'],
  ['America/Sao_Paulo', 'São Paulo'],
  ['America/New_York', 'New York, Toronto'],
  ['America/Chicago', 'Chicago, Mexico City'],
  ['America/Denver', 'Denver'],
  ['America/Los_Angeles', 'Los Angeles, Vancouver'],
  ['Pacific/Honolulu', 'Honolulu'],
];

function offsetMinutes(instant: number, zone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric' }).formatToParts(new Date(instant));
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value);
  return Math.round((Date.UTC(get('year'), get('month') - 1, get('day'), get('hour') % 24, get('minute')) - Math.floor(instant / 60_000) * 60_000) / 60_000);
}

/** The instant a wall-clock time (`2026-12-06T09:00`, no offset) happens in `zone`. */
export function instantIn(wall: string, zone: string): Date | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(wall);
  if (!m) return undefined;
  const asUtc = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6] ?? 0));
  const first = asUtc - offsetMinutes(asUtc, zone) * 60_000;
  return new Date(asUtc - offsetMinutes(first, zone) * 60_000);
}

/**
 * When each zone gets it, soonest first, with whether that moment has passed (`late`: sent at launch).
 *
 * @example
 * timeline('2026-12-06T09:00', new Date('2026-12-06T08:00:00Z'))[0]
 * // { zone: 'Pacific/Kiritimati', label: 'Kiritimati (UTC+14)', at: 2026-12-05T19:00:00.000Z, late: true }
 */
export function timeline(wall: string, now: Date): Array<{ zone: string; label: string; at: Date; late: boolean }> {
  return TIMELINE_ZONES.flatMap(([zone, label]) => {
    const at = instantIn(wall, zone);
    return at ? [{ zone, label, at, late: at.getTime() < now.getTime() }] : [];
  }).sort((a, b) => a.at.getTime() - b.at.getTime());
}
