/**
 * The opt-out rule under faults: a recipient who opted out while their campaign was sending is mailed only if their
 * consent was read (`decidedAt` on the message record) before the opt-out was stored, and then exactly once;
 * otherwise the record says `held` / `opted_out` and no mail went out. Shared by the fault tests.
 */
export interface LeaverVerdicts {
  mailed: number;
  held: number;
  /** One line per leaver the rule was broken for (empty when all is well). */
  readonly problems: string[];
}

export function judgeLeaver(
  verdicts: LeaverVerdicts,
  email: string,
  record: { status: string; reason?: string; decidedAt: string },
  mails: number,
  optOutStoredAt: number,
): void {
  if (record.status === 'sent') {
    if (mails !== 1 || Date.parse(record.decidedAt) > optOutStoredAt) {
      verdicts.problems.push(`${email}: sent, ${mails} mails, decided ${record.decidedAt}, opt-out stored ${new Date(optOutStoredAt).toISOString()}`);
    }
    verdicts.mailed++;
  } else {
    if (record.status !== 'held' || record.reason !== 'opted_out' || mails !== 0) verdicts.problems.push(`${email}: ${record.status} ${record.reason ?? ''}, ${mails} mails`);
    verdicts.held++;
  }
}
