/** What the CLI reports instead of a stack trace: every failure it expects is one of these, printed by `formatError`. */

/** A failure the user can act on (a file that cannot be read, no credentials, a server that does not answer). */
export class CliError extends Error {
  override readonly name: string = 'CliError';
}

/** The command line itself is wrong; the message is followed by a pointer to `--help`. */
export class UsageError extends CliError {
  override readonly name = 'UsageError';
  /** The command whose `--help` to point at (`campaigns create`); empty for the top level. */
  readonly helpFor: string;
  constructor(message: string, helpFor = '') {
    super(message);
    this.helpFor = helpFor;
  }
}

export interface ErrorDetail {
  readonly path?: string;
  readonly message: string;
}

/** The API answered with an error: its `{error: {code, message, details}}`, or what a gateway said instead. */
export class ApiError extends CliError {
  override readonly name = 'ApiError';
  readonly status: number;
  readonly code: string;
  readonly details: readonly ErrorDetail[];
  constructor(status: number, code: string, message: string, details: readonly ErrorDetail[] = []) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

/** One readable block for stderr, ending in a newline. Unknown errors show their message only, never a stack. */
export function formatError(e: unknown): string {
  if (e instanceof ApiError) {
    const lines = [`sendwell: ${e.message} (HTTP ${e.status}, ${e.code})`];
    for (const d of e.details) lines.push(`  - ${d.path ? `${d.path}: ` : ''}${d.message}`);
    return `${lines.join('\n')}\n`;
  }
  if (e instanceof UsageError) {
    return `sendwell: ${e.message}\nRun \`sendwell ${e.helpFor ? `${e.helpFor} ` : ''}--help\` for usage.\n`;
  }
  if (e instanceof CliError) return `sendwell: ${e.message}\n`;
  return `sendwell: unexpected error: ${e instanceof Error ? e.message : String(e)}\n`;
}
