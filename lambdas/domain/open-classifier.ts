/**
 * Opens through the engagement rules (lambdas/domain/engagement.ts), for callers that only classify `GET` opens.
 */
import { classifyEngagement, type MachineReason } from './engagement.ts';

export type OpenKind = { readonly machine: false } | { readonly machine: true; readonly reason: MachineReason };

export interface OpenSignal {
  readonly userAgent?: string;
  readonly ip?: string;
  readonly sentAt?: Date;
  readonly at: Date;
}

/**
 * @example
 * classifyOpen({ userAgent: 'Mozilla/5.0', ip: '17.58.1.9', at: new Date() })            // { machine: true, reason: 'apple_mpp' }
 * classifyOpen({ userAgent: 'Mozilla/5.0 (iPhone; …) Mobile/15E148', ip: '198.51.100.4', at: new Date() }) // { machine: false }
 */
export function classifyOpen(signal: OpenSignal): OpenKind {
  const kind = classifyEngagement({ ...signal, channel: 'open', method: 'GET' });
  return kind.count && kind.machine ? { machine: true, reason: kind.reason } : { machine: false };
}
