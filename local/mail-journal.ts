/**
 * The local SES's mail journal: a JSON-lines file in the data folder that says which mail the local SES accepted,
 * written synchronously (and flushed to disk) **before** the SendEmail call answers. On AWS, SES itself keeps the
 * evidence that a mail went out and publishes the `Send` event; locally both the SES store and the event emulator live
 * in the `npm start` process, so a kill between "accepted" and "Send event handled" would otherwise lose that
 * evidence, and the sender's reconcile (which trusts the `Send` event) would send the mail again after a restart.
 *
 * Lines (one JSON object each; a line torn by a kill is skipped when read, and its mail counts as never accepted: the
 * SendEmail call had not answered yet):
 * - `{"t":"sent","sesMessageId","to","tags","at","mail"}` — accepted; `mail` is what the mail viewer shows;
 * - `{"t":"handled","sesMessageId"}` — the mail's emulated SES events were all handled;
 * - `{"t":"cleared","at"}` — the viewer's store was cleared (`POST /clear-store`): older mail is not shown again.
 *
 * At start the stack hands the `sent` entries with no `handled` line to the SES events handler again (the handler is
 * idempotent per event) and shows the mail since the last `cleared` in the viewer again.
 */
import { closeSync, existsSync, fdatasyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import type { SentMail } from '../lambdas/adapters/ses-mailer.ts';

/** A mail as aws-ses-v2-local stores it (what `GET /store` returns), kept opaque here. */
export type StoredMail = Record<string, unknown>;

export interface JournalEntry extends SentMail {
  readonly mail?: StoredMail;
}

type Line =
  | ({ t: 'sent' } & JournalEntry)
  | { t: 'handled'; sesMessageId: string }
  | { t: 'cleared'; at: string };

export class MailJournal {
  readonly file: string;
  readonly #fd: number;
  readonly #pending = new Map<string, JournalEntry>();
  #shown: StoredMail[] = [];
  #closed = false;
  /** Lines that could not be read (a write torn by a kill); for the start log. */
  readonly skipped: number;

  private constructor(file: string) {
    this.file = file;
    const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
    let skipped = 0;
    for (const raw of text.split('\n')) {
      if (!raw.trim()) continue;
      let line: Line;
      try {
        line = JSON.parse(raw) as Line;
      } catch {
        skipped++;
        continue;
      }
      if (line.t === 'sent') {
        const { t: _t, ...entry } = line;
        this.#pending.set(entry.sesMessageId, entry);
        if (entry.mail) this.#shown.push(entry.mail);
      } else if (line.t === 'handled') this.#pending.delete(line.sesMessageId);
      else if (line.t === 'cleared') this.#shown = [];
    }
    this.skipped = skipped;
    this.#fd = openSync(file, 'a');
    // A line torn by a kill must not swallow the next entry: start on a fresh line.
    if (text.length > 0 && !text.endsWith('\n')) writeSync(this.#fd, '\n');
  }

  /** Opens (or creates) the journal at `file` and reads what an earlier run left in it. */
  static open(file: string): MailJournal {
    return new MailJournal(file);
  }

  /**
   * Records an accepted mail, durably: returns only after the line is on disk. Throws if it cannot be written (the
   * caller must then not answer the SendEmail call as a success).
   */
  accepted(entry: JournalEntry): void {
    this.#append({ t: 'sent', ...entry }, true);
  }

  /** The mail's SES events were all handled. Not flushed: losing this line only repeats an idempotent replay. */
  handled(sesMessageId: string): void {
    this.#pending.delete(sesMessageId);
    this.#append({ t: 'handled', sesMessageId }, false);
  }

  /** The viewer's store was cleared. */
  cleared(): void {
    this.#shown = [];
    this.#append({ t: 'cleared', at: new Date().toISOString() }, false);
  }

  /** Mail an earlier run accepted whose SES events were not all handled, oldest first. */
  unhandled(): JournalEntry[] {
    return [...this.#pending.values()];
  }

  /** Mail an earlier run accepted since the viewer was last cleared, oldest first (to show in the viewer again). */
  shown(): StoredMail[] {
    return this.#shown;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    closeSync(this.#fd);
  }

  #append(line: Line, flush: boolean): void {
    // After close (the stack is stopping) a late `handled` is dropped: the next start replays that mail, harmlessly.
    if (this.#closed) {
      if (line.t === 'sent') throw new Error('the mail journal is closed');
      return;
    }
    writeSync(this.#fd, `${JSON.stringify(line)}\n`);
    if (flush) fdatasyncSync(this.#fd);
  }
}

/** Reads a journal file without opening it for writing (tests, tools): every line that parses, in order. */
export function readJournal(file: string): Line[] {
  if (!existsSync(file)) return [];
  const lines: Line[] = [];
  for (const text of readFileSync(file, 'utf8').split('\n')) {
    if (!text.trim()) continue;
    try {
      lines.push(JSON.parse(text) as Line);
    } catch {
      // torn by a kill: never answered, never accepted
    }
  }
  return lines;
}

export type { Line as JournalLine };
