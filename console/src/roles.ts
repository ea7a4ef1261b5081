/**
 * Who may do what in the console, by role. The API enforces the same matrix (a 403 otherwise); the console uses it
 * to show only what a person can do. `admin` can do everything.
 */
export type Role = 'admin' | 'marketing' | 'ops' | 'privacy';

export type Capability =
  | 'topics'
  | 'templates'
  | 'segments'
  | 'journeys'
  | 'delivery.settings'
  | 'recipients.import'
  | 'campaigns.view'
  | 'campaigns.create'
  | 'campaigns.pauseResume'
  | 'campaigns.cancel'
  | 'figures'
  | 'feedback'
  | 'marketing.switch'
  | 'suppressions'
  | 'people';

const MATRIX: Readonly<Record<Exclude<Role, 'admin'>, readonly Capability[]>> = {
  marketing: ['topics', 'templates', 'segments', 'journeys', 'delivery.settings', 'recipients.import', 'campaigns.view', 'campaigns.create', 'campaigns.pauseResume', 'campaigns.cancel', 'figures'],
  ops: ['figures', 'feedback', 'suppressions', 'marketing.switch', 'delivery.settings', 'campaigns.view', 'campaigns.pauseResume'],
  privacy: ['people', 'suppressions'],
};

/** @example can(['ops'], 'campaigns.create') // false */
export function can(roles: readonly Role[], capability: Capability): boolean {
  return roles.includes('admin') || roles.some((r) => r !== 'admin' && MATRIX[r]?.includes(capability));
}

export interface NavItem {
  readonly path: string;
  readonly label: string;
  readonly capability: Capability;
  readonly group: 'Marketing' | 'Ops' | 'Privacy';
}

export const NAV: readonly NavItem[] = [
  { path: 'campaigns', label: 'Campaigns', capability: 'campaigns.view', group: 'Marketing' },
  { path: 'templates', label: 'Templates', capability: 'templates', group: 'Marketing' },
  { path: 'segments', label: 'Segments', capability: 'segments', group: 'Marketing' },
  { path: 'journeys', label: 'Journeys', capability: 'journeys', group: 'Marketing' },
  { path: 'topics', label: 'Topics', capability: 'topics', group: 'Marketing' },
  { path: 'import', label: 'Import recipients', capability: 'recipients.import', group: 'Marketing' },
  { path: 'figures', label: 'Figures', capability: 'figures', group: 'Ops' },
  { path: 'deliverability', label: 'Deliverability', capability: 'feedback', group: 'Ops' },
  { path: 'delivery', label: 'Quiet hours and caps', capability: 'delivery.settings', group: 'Ops' },
  { path: 'suppressions', label: 'Suppressions', capability: 'suppressions', group: 'Ops' },
  { path: 'people', label: 'People', capability: 'people', group: 'Privacy' },
];

/**
 * The navigation a person with these roles sees, in order. Suppressions belong to ops and privacy alike: they are
 * listed under Privacy for someone who has no other ops screen.
 */
export const navFor = (roles: readonly Role[]): NavItem[] =>
  NAV.filter((n) => can(roles, n.capability)).map((n) => (n.path === 'suppressions' && !can(roles, 'feedback') ? { ...n, group: 'Privacy' } : n));

export const isRole = (r: unknown): r is Role => r === 'admin' || r === 'marketing' || r === 'ops' || r === 'privacy';
