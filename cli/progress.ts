/** A progress line on stderr: redrawn in place on a terminal, a plain line per change otherwise (logs, CI). */
import type { Io } from './io.ts';

export interface ProgressWriter {
  /** `render` gets the bar options for this output: a bar sized to the terminal, or none. */
  update(render: (options: { bar: boolean; width: number }) => string): void;
  /** Ends the progress line so the next output starts on its own line. */
  done(): void;
}

export function progressWriter(io: Io): ProgressWriter {
  let last = '';
  let drawn = false;
  const room = Math.max(io.columns - 1, 20);
  return {
    update(render) {
      let line = render({ bar: io.tty, width: 40 });
      // On a terminal the line must fit, or redrawing it in place fails: the bar gives way first (down to 10 cells).
      if (io.tty && line.length > room) line = render({ bar: true, width: Math.max(10, 40 - (line.length - room)) }).slice(0, room);
      if (line === last) return;
      last = line;
      if (io.tty) {
        io.err(`\r\u001b[2K${line}`);
        drawn = true;
      } else {
        io.err(`${line}\n`);
      }
    },
    done() {
      if (drawn) io.err('\n');
      drawn = false;
      last = '';
    },
  };
}
