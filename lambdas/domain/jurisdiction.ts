/**
 * Privacy defaults by the recipient's country. These are defaults, not the send rule: marketing needs an opt-in
 * everywhere (see `decide.ts`); jurisdiction only says whether that opt-in must be confirmed and what tracking and
 * data sharing start as before the person has said anything.
 */

export type Zone = 'strict' | 'standard';

export interface JurisdictionDefaults {
  readonly zone: Zone;
  /** The normalized ISO 3166-1 alpha-2 code, or `null` when none was given or it was not a country code. */
  readonly country: string | null;
  /** A marketing opt-in counts only once confirmed from the mailbox. */
  readonly requiresDoubleOptIn: boolean;
  /** Open and click tracking before the person has chosen. */
  readonly trackingDefault: boolean;
  /** Selling or sharing personal data with partners before the person has chosen. */
  readonly sharingDefault: boolean;
}

const EU = [
  'AT', 'BE', 'BG', 'HR', 'CY', 'CZ', 'DK', 'EE', 'FI', 'FR', 'DE', 'GR', 'HU', 'IE',
  'IT', 'LV', 'LT', 'LU', 'MT', 'NL', 'PL', 'PT', 'RO', 'SK', 'SI', 'ES', 'SE',
] as const;
// ISO gives these parts of member states codes of their own, yet the GDPR applies there as at home:
// Åland (FI) and the French outermost regions.
const EU_TERRITORIES = ['AX', 'GF', 'GP', 'MQ', 'RE', 'YT', 'MF'] as const;
const EEA = ['IS', 'LI', 'NO'] as const;
// Not ISO country codes, but they turn up in real data: `EL` is the EU's own code for Greece, `UK` the common
// spelling of `GB`, `EU` a reserved code for the Union itself.
const ALIASES = ['EL', 'UK', 'EU'] as const;

/** Countries whose recipients give consent explicitly: EU 27, EEA, United Kingdom, Switzerland. */
export const STRICT_COUNTRIES: ReadonlySet<string> = new Set<string>([
  ...EU, ...EU_TERRITORIES, ...EEA, 'GB', 'CH', ...ALIASES,
]);

// ISO 3166 user-assigned codes: never a country, often a placeholder for "unknown".
const USER_ASSIGNED = /^(?:AA|Q[M-Z]|X[A-Z]|ZZ)$/;

const STRICT = { zone: 'strict', requiresDoubleOptIn: true, trackingDefault: false, sharingDefault: false } as const;
const STANDARD = { zone: 'standard', requiresDoubleOptIn: false, trackingDefault: true, sharingDefault: true } as const;

/**
 * The defaults for a recipient's country.
 *
 * An unknown country (missing, malformed, or a user-assigned placeholder such as `ZZ`) is treated as strict.
 * The two mistakes are not alike: treating a European as "elsewhere" sends without a confirmed opt-in and tracks
 * without consent, which the law forbids; treating anyone else as strict only asks for one extra click and starts
 * tracking off, which is always lawful.
 *
 * @example
 * jurisdictionFor('de') // { zone: 'strict', country: 'DE', requiresDoubleOptIn: true, trackingDefault: false, sharingDefault: false }
 * jurisdictionFor('US') // { zone: 'standard', country: 'US', requiresDoubleOptIn: false, trackingDefault: true, sharingDefault: true }
 * jurisdictionFor(undefined).zone // 'strict'
 */
export function jurisdictionFor(country?: string | null): JurisdictionDefaults {
  const code = typeof country === 'string' ? country.trim().toUpperCase() : '';
  if (!/^[A-Z]{2}$/.test(code) || USER_ASSIGNED.test(code)) return { ...STRICT, country: null };
  return { ...(STRICT_COUNTRIES.has(code) ? STRICT : STANDARD), country: code };
}
