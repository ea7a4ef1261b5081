/** How the console writes rates, durations and audience conditions; how it reads API errors and routes. */
import { describe, expect, it } from 'vitest';
import { toApiError } from '../../../console/src/api.ts';
import { duration, level, parseAttributes, pct } from '../../../console/src/format.ts';
import { match, routeOf } from '../../../console/src/router.ts';

describe('format', () => {
  it('writes rates and judges them against the thresholds', () => {
    expect(pct(0.0123)).toBe('1.23 %');
    expect(pct(null)).toBe('n/a');
    expect([level(0.01, 0.04, 0.05), level(0.04, 0.04, 0.05), level(0.05, 0.04, 0.05), level(null, 0.04, 0.05)]).toEqual(['ok', 'warn', 'over', 'none']);
  });

  it('writes durations', () => {
    expect([duration(12), duration(125), duration(3725), duration(undefined)]).toEqual(['12 s', '2 min 5 s', '1 h 2 min', '–']);
  });

  it('reads audience attribute conditions, one a line', () => {
    expect(parseAttributes('plan=pro,team\n\nsource = web')).toEqual({ plan: ['pro', 'team'], source: 'web' });
    expect(parseAttributes('plan')).toEqual({ error: 'Line 1: write an attribute condition as name=value or name=value1,value2.' });
  });
});

describe('API errors', () => {
  it('keeps the API’s message, code and field details', () => {
    const e = toApiError(400, { error: { code: 'validation_failed', message: 'The template is not valid', details: [{ path: 'html', message: 'needs {{unsubscribe_url}}' }] } });
    expect([e.status, e.code, e.message, e.details]).toEqual([400, 'validation_failed', 'The template is not valid', [{ path: 'html', message: 'needs {{unsubscribe_url}}' }]]);
  });

  it('says something useful for bodies without an error object', () => {
    expect(toApiError(403, { message: 'Forbidden' }).message).toBe('Your role does not allow this.');
    expect(toApiError(502, { message: 'Bad Gateway' }).message).toBe('Bad Gateway (HTTP 502)');
    expect(toApiError(500, undefined).message).toBe('The API answered HTTP 500.');
  });
});

describe('routes', () => {
  it('reads the route below the base and matches patterns', () => {
    expect(routeOf('/console/campaigns/cmp_1', '/console/')).toBe('campaigns/cmp_1');
    expect(routeOf('/console/', '/console/')).toBe('');
    expect(routeOf('/console', '/console/')).toBe('');
    expect(match('campaigns/:id', 'campaigns/cmp_1')).toEqual({ id: 'cmp_1' });
    expect(match('campaigns/new', 'campaigns/cmp_1')).toBeUndefined();
    expect(match('', '')).toEqual({});
  });
});
