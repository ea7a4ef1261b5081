/**
 * Where a row of an import file was: the CLI and the console send a file in chunks, and the API reports lines of the
 * chunk it was given. One mapping back to the file's own lines, shared by both (pure: no Node, no DOM).
 */

/** A chunk's rows: `lines[i]` is the original line of its i-th row, `starts[i]` the chunk-body line it starts on. */
export interface ChunkLines {
  readonly lines: readonly number[];
  readonly starts: readonly number[];
}

/**
 * The line of the original file for a line the API reported for `chunk` (a CSV chunk's header is line 1; a row with
 * a line break in quotes takes two lines).
 *
 * @example
 * originalLine({ lines: [501, 502], starts: [2, 3] }, 'csv', 3) // 502
 */
export function originalLine(chunk: ChunkLines, format: 'csv' | 'jsonl', reported: number): number {
  if (format === 'csv' && reported === 1) return 1;
  let k = -1;
  chunk.starts.forEach((start, i) => {
    if (start <= reported) k = i;
  });
  const line = k >= 0 ? chunk.lines[k] : undefined;
  return line === undefined ? reported : line + (reported - chunk.starts[k]!);
}
