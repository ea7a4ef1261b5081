/** A problem the person running the local stack can fix; `local/main.ts` prints its message as one line and exits. */
export class LocalStackError extends Error {
  override readonly name = 'LocalStackError';
}
