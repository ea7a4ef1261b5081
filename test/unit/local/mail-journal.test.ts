import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MailJournal } from '../../../local/mail-journal.ts';
import { simulatedEvents } from '../../../local/ses-simulator.ts';

const dirs: string[] = [];
const file = () => {
  const dir = mkdtempSync(join(tmpdir(), 'sendwell-journal-'));
  dirs.push(dir);
  return join(dir, 'ses-journal.jsonl');
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const mail = (n: number) => ({ sesMessageId: `ses-${n}`, to: `r${n}@example.com`, tags: { sendwell_message: `cmp_1-rcp_${n}` }, at: `2026-11-22T08:00:0${n}.000Z` });

describe('MailJournal', () => {
  it('gives the next start the accepted mail whose events were not handled, and the mail to show since the last clear', () => {
    const path = file();
    const first = MailJournal.open(path);
    first.accepted({ ...mail(1), mail: { messageId: 'ses-1' } });
    first.accepted({ ...mail(2), mail: { messageId: 'ses-2' } });
    first.handled('ses-1');
    first.cleared();
    first.accepted({ ...mail(3), mail: { messageId: 'ses-3' } });
    first.close();

    const next = MailJournal.open(path);
    expect(next.unhandled().map((e) => e.sesMessageId)).toEqual(['ses-2', 'ses-3']);
    expect(next.shown()).toEqual([{ messageId: 'ses-3' }]);
    next.close();
  });

  it('skips a line torn by a kill, and starts the next entry on a line of its own', () => {
    const path = file();
    const first = MailJournal.open(path);
    first.accepted(mail(1));
    first.close();
    appendFileSync(path, '{"t":"sent","sesMessageId":"ses-2","to":"r2@exa');

    const next = MailJournal.open(path);
    expect(next.skipped).toBe(1);
    expect(next.unhandled().map((e) => e.sesMessageId)).toEqual(['ses-1']);
    next.accepted(mail(3));
    next.close();
    const again = MailJournal.open(path);
    expect(again.unhandled().map((e) => e.sesMessageId)).toEqual(['ses-1', 'ses-3']);
    again.close();
    expect(readFileSync(path, 'utf8').split('\n').filter(Boolean)).toHaveLength(3);
  });

  it('refuses to record a mail once closed (the SendEmail call must not answer success)', () => {
    const journal = MailJournal.open(file());
    journal.close();
    expect(() => journal.accepted(mail(1))).toThrow(/closed/);
    expect(() => journal.handled('ses-1')).not.toThrow();
  });
});

describe('simulatedEvents', () => {
  it('makes the same events, ids included, each time for one mail: a replay after a crash is a duplicate', () => {
    for (const to of ['success@simulator.amazonses.com', 'bounce+x@simulator.amazonses.com', 'complaint@simulator.amazonses.com']) {
      const m = { ...mail(1), to };
      expect(simulatedEvents(m)).toEqual(simulatedEvents(m));
      expect(simulatedEvents({ ...m, sesMessageId: 'ses-other' }).map((e) => e.id)).not.toEqual(simulatedEvents(m).map((e) => e.id));
    }
  });
});
