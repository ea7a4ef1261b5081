/**
 * docs/SCALING.md's cost per million mails, computed from measured units instead of copied by hand: the mix (opens
 * and clicks per mail), the us-east-1 list prices and the assumed Lambda durations are those the page states; the
 * DynamoDB units, the calls and the SES events per mail come from a run of bench/campaign.ts. SES's own $100 is not
 * included (this is what Sendwell adds on top).
 */
import { MAILS_PER_SECOND_PER_SENDER } from '../lib/campaign-delivery.ts';

/** Per recipient (send path), per mail (SES events), per open or per click. */
export interface PathUnits {
  readonly calls: number;
  readonly wru: number;
  readonly rru: number;
}

export interface MeasuredPaths {
  readonly send: PathUnits;
  /** SES events per mail that invoke the ses-events function. */
  readonly eventsPerMail: number;
  readonly events: PathUnits;
  readonly open: PathUnits;
  readonly click: PathUnits;
  /** SES events per ses-events invocation (1: one EventBridge invocation per event). */
  readonly eventsPerInvocation?: number;
}

/** The cost model's mix: opens and clicks per mail sent (docs/SCALING.md). */
export const MIX = { opens: 0.2, clicks: 0.03 } as const;

/** USD, us-east-1 list prices as docs/SCALING.md states them. */
export const PRICES = {
  perMillionWru: 0.625,
  perMillionRru: 0.125,
  perMillionLambdaRequests: 0.2,
  perGbSecond: 0.0000133334,
  perMillionHttpApiRequests: 1.0,
  perMillionSqsRequests: 0.4,
} as const;

/** Assumed Lambda durations and sizes (docs/SCALING.md: not measurable on the local stack). */
const LAMBDA = {
  // ~24,000 send batches per million (50 recipients, plus continuations), 5 per invocation. Billed seconds per mail:
  // see `SenderPlan`.
  sender: { gb: 0.5, mailsPerInvocation: 208 },
  sesEvents: { seconds: 0.1, gb: 0.25 },
  publicRoute: { seconds: 0.06, gb: 0.25 },
} as const;

/** Units per mail, all in: the send, its SES events, and the mix's share of an open and a click. */
export function perMailAllIn(p: MeasuredPaths): PathUnits {
  const sum = (k: keyof PathUnits) => p.send[k] + p.events[k] + MIX.opens * p.open[k] + MIX.clicks * p.click[k];
  return { calls: sum('calls'), wru: sum('wru'), rru: sum('rru') };
}

/**
 * Mails a second one sender invocation is planned for (lib/campaign-delivery.ts `MAILS_PER_SECOND_PER_SENDER`): its
 * billed seconds per mail are one over it, since enough senders run for the send rate and each waits, billed, on the
 * campaign's per-second budget for the rest. 25 since issue 17; 5 before (0.2 s a mail).
 */
export interface SenderPlan {
  readonly mailsPerSecond: number;
}
export const SENDER_PLAN: SenderPlan = { mailsPerSecond: MAILS_PER_SECOND_PER_SENDER };
export const SENDER_PLAN_BEFORE_17: SenderPlan = { mailsPerSecond: 5 };

/** USD per million mails on top of SES, by line. */
export function costPerMillion(p: MeasuredPaths, plan: SenderPlan = SENDER_PLAN): { writes: number; reads: number; lambda: number; other: number; total: number } {
  const m = 1_000_000;
  const all = perMailAllIn(p);
  const writes = all.wru * PRICES.perMillionWru;
  const reads = all.rru * PRICES.perMillionRru;
  const invocations = {
    sender: m / LAMBDA.sender.mailsPerInvocation,
    sesEvents: (p.eventsPerMail * m) / (p.eventsPerInvocation ?? 1),
    publicRoutes: (MIX.opens + MIX.clicks) * m,
  };
  const requests = (invocations.sender + invocations.sesEvents + invocations.publicRoutes) / m;
  const gbSeconds =
    (m / plan.mailsPerSecond) * LAMBDA.sender.gb +
    p.eventsPerMail * m * LAMBDA.sesEvents.seconds * LAMBDA.sesEvents.gb +
    invocations.publicRoutes * LAMBDA.publicRoute.seconds * LAMBDA.publicRoute.gb;
  const lambda = requests * PRICES.perMillionLambdaRequests + gbSeconds * PRICES.perGbSecond;
  // HTTP API requests of the opens and clicks; SQS send batches are < $0.01 per million mails.
  const other = (invocations.publicRoutes / m) * PRICES.perMillionHttpApiRequests;
  return { writes, reads, lambda, other, total: writes + reads + lambda + other };
}
