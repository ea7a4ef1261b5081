/** The console's role matrix: what each role sees (the API enforces the same). */
import { describe, expect, it } from 'vitest';
import { can, navFor, NAV, type Capability } from '../../../console/src/roles.ts';

const nav = (...roles: Parameters<typeof navFor>[0]) => navFor(roles).map((n) => n.path);

describe('roles', () => {
  it('admin sees every screen', () => {
    expect(nav('admin')).toEqual(NAV.map((n) => n.path));
  });

  it('marketing: topics, templates, segments, import, campaigns, figures, delivery settings — no privacy, no suppressions, no marketing switch', () => {
    expect(nav('marketing')).toEqual(['campaigns', 'templates', 'segments', 'journeys', 'topics', 'import', 'figures', 'delivery']);
    for (const c of ['people', 'suppressions', 'feedback', 'marketing.switch'] as Capability[]) expect(can(['marketing'], c)).toBe(false);
    expect(can(['marketing'], 'campaigns.create')).toBe(true);
  });

  it('ops: figures, deliverability, suppressions and campaign pause/resume, but not create or cancel', () => {
    expect(nav('ops')).toEqual(['campaigns', 'figures', 'deliverability', 'delivery', 'suppressions']);
    expect(can(['ops'], 'segments')).toBe(false);
    expect(can(['ops'], 'campaigns.pauseResume')).toBe(true);
    expect(can(['ops'], 'campaigns.create')).toBe(false);
    expect(can(['ops'], 'campaigns.cancel')).toBe(false);
    expect(can(['ops'], 'people')).toBe(false);
  });

  it('privacy: people and suppressions only, both under Privacy', () => {
    expect(nav('privacy')).toEqual(['suppressions', 'people']);
    expect(navFor(['privacy']).map((n) => n.group)).toEqual(['Privacy', 'Privacy']);
    expect(navFor(['ops']).find((n) => n.path === 'suppressions')?.group).toBe('Ops');
  });

  it('several roles add up; no role sees nothing', () => {
    expect(nav('ops', 'privacy')).toEqual(['campaigns', 'figures', 'deliverability', 'delivery', 'suppressions', 'people']);
    expect(nav()).toEqual([]);
  });
});
