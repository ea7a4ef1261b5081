import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jurisdictionFor, STRICT_COUNTRIES } from '../../../lambdas/domain/jurisdiction.ts';

const STRICT = { zone: 'strict', requiresDoubleOptIn: true, trackingDefault: false, sharingDefault: false };
const STANDARD = { zone: 'standard', requiresDoubleOptIn: false, trackingDefault: true, sharingDefault: true };

const EU27 = 'AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE'.split(' ');

describe('jurisdictionFor', () => {
  it.each(EU27)('EU member %s is strict', (country) => {
    expect(jurisdictionFor(country)).toEqual({ ...STRICT, country });
  });

  it('is strict for those countries and nowhere else', () => {
    expect(new Set(EU27).size).toBe(27);
    const expected = [...EU27, 'AX', 'GF', 'GP', 'MQ', 'RE', 'YT', 'MF', 'IS', 'LI', 'NO', 'GB', 'CH', 'UK', 'EL', 'EU'];
    expect([...STRICT_COUNTRIES].sort()).toEqual(expected.sort());
  });

  it.each(['IS', 'LI', 'NO', 'GB', 'CH'])('EEA, UK and Switzerland: %s is strict', (country) => {
    expect(jurisdictionFor(country)).toEqual({ ...STRICT, country });
  });

  it.each(['UK', 'EL', 'EU'])('accepts the non-ISO spelling %s as strict', (country) => {
    expect(jurisdictionFor(country).zone).toBe('strict');
  });

  it.each(['AX', 'GF', 'GP', 'MQ', 'RE', 'YT', 'MF'])('%s is part of a member state, so strict', (country) => {
    expect(jurisdictionFor(country).zone).toBe('strict');
  });

  it.each(['US', 'CA', 'BR', 'JP', 'IN', 'AU', 'TR', 'RS', 'UA'])('%s elsewhere is standard', (country) => {
    expect(jurisdictionFor(country)).toEqual({ ...STANDARD, country });
  });

  it('reads codes case- and space-insensitively', () => {
    expect(jurisdictionFor(' de ')).toEqual({ ...STRICT, country: 'DE' });
    expect(jurisdictionFor('us')).toEqual({ ...STANDARD, country: 'US' });
  });

  it.each([undefined, null, '', '  ', 'D', 'DEU', 'Germany', '12', 'D1', 'ZZ', 'XX', 'QM', 'AA'])(
    'an unknown country (%j) is strict: the safe mistake',
    (country) => {
      expect(jurisdictionFor(country)).toEqual({ ...STRICT, country: null });
    },
  );

  it('always pairs double opt-in with tracking and sharing off, and never the reverse', () => {
    fc.assert(
      fc.property(fc.option(fc.string({ maxLength: 4 })), (country) => {
        const j = jurisdictionFor(country);
        expect(j.requiresDoubleOptIn).toBe(j.zone === 'strict');
        expect(j.trackingDefault).toBe(j.zone === 'standard');
        expect(j.sharingDefault).toBe(j.zone === 'standard');
        if (j.zone === 'standard') expect(STRICT_COUNTRIES.has(j.country ?? '')).toBe(false);
      }),
    );
  });
});
