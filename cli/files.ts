/** Files a command reads (a template, a journey, segment rules), with one plain error for each way it can fail. */
import { readFileSync } from 'node:fs';
import { CliError } from './errors.ts';

export function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new CliError(`Cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** `what` names the content in the error (default: the file). */
export function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new CliError(`${what} is not valid JSON: ${(e as Error).message}`);
  }
}

export const readJsonFile = (file: string): unknown => parseJson(readText(file), file);
