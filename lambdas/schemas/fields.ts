/** Field schemas reused across the API: identifiers, countries, sources, evidence. */
import * as z from 'zod';
import { canonicalTimeZone } from '../domain/time-zones.ts';
import { SLUG, SLUG_HINT } from '../domain/slug.ts';

export const SlugSchema = z
  .string()
  .regex(SLUG, SLUG_HINT);

export const IdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'not a valid id');

/** ISO 3166-1 alpha-2, upper-cased on the way in. */
export const CountrySchema = z
  .string()
  .trim()
  .transform((s) => s.toUpperCase())
  .pipe(z.string().regex(/^[A-Z]{2}$/, 'use a two-letter ISO 3166-1 country code, e.g. "DE"'));

export const LocaleSchema = z.string().trim().regex(/^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$/, 'use a BCP 47 tag, e.g. "en-GB"');

/** Header-safe single-line text: no control characters at all (CR/LF would inject a header line). */
export const LineSchema = (max: number) =>
  z
    .string()
    .max(max)
    .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), 'must be one line without control characters');

export const IsoDateTimeSchema = z.iso.datetime({ offset: true });

export const ConsentSourceSchema = z.enum([
  'api',
  'import',
  'signup_form',
  'admin',
  'link',
  'one_click',
  'preference_page',
  'complaint',
  'confirmation',
  'mailto',
  /** Global Privacy Control: the browser's `Sec-GPC: 1`, a do-not-sell-or-share request. */
  'gpc',
]);
export type ConsentSource = z.infer<typeof ConsentSourceSchema>;

export const EvidenceSchema = z.object({
  at: IsoDateTimeSchema.meta({ description: 'When the person gave or withdrew consent.' }),
  ip: z.union([z.ipv4(), z.ipv6()]).optional().meta({ description: 'Stored only pseudonymized (keyed HMAC).' }),
  userAgent: z.string().max(512).optional(),
  wording: z.string().max(200).optional().meta({ description: 'Version or id of the consent wording the person saw.' }),
}).strict();
export type Evidence = z.infer<typeof EvidenceSchema>;

export const AttributesSchema = z
  .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/, 'attribute names are 1-64 letters, digits, _ . -'), z.union([z.string().max(1000), z.number(), z.boolean(), z.null()]))
  .refine((r) => Object.keys(r).length <= 50, 'at most 50 attributes');

/** An IANA time zone (`Europe/Berlin`), stored in its canonical spelling; an offset or unknown name is refused. */
export const TimeZoneSchema = z
  .string()
  .trim()
  .max(64)
  .refine((z) => canonicalTimeZone(z) !== undefined, 'use an IANA time zone name, e.g. "Europe/Berlin" or "America/Los_Angeles"')
  .transform((z) => canonicalTimeZone(z)!)
  .meta({ description: 'IANA time zone name. When absent: the country’s zone where it has one, else the stage’s `defaultTimeZone`.' });
