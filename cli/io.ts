/** Everything a command touches outside itself, so tests run commands in-process and read what they printed. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  readonly env: NodeJS.ProcessEnv;
  /** stderr is a terminal: progress redraws one line in place; otherwise it prints plain lines. */
  readonly tty: boolean;
  readonly columns: number;
  readonly fetch: typeof fetch;
  /** Calls `listener` on Ctrl-C (only while registered; without a listener Ctrl-C ends the process as usual). */
  onInterrupt(listener: () => void): () => void;
}

export function processIo(): Io {
  return {
    out: (text) => void process.stdout.write(text),
    err: (text) => void process.stderr.write(text),
    env: process.env,
    tty: Boolean(process.stderr.isTTY),
    columns: process.stderr.columns || 100,
    fetch: globalThis.fetch,
    onInterrupt: (listener) => {
      process.on('SIGINT', listener);
      return () => void process.off('SIGINT', listener);
    },
  };
}
