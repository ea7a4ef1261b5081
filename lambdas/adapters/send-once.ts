/**
 * SendEmail must not go out twice. The SDK's standard retries resend a request whose answer was lost (a reset
 * connection, a time-out): SES may well have accepted the first one, and the recipient would get the mail twice. So
 * the SES client retries only what SES demonstrably did not take — a throttle, a 5xx answer, a connection that was
 * refused — and an error with no answer is reported as **in doubt**: the caller leaves the message claimed as
 * `sending`, and SES's own events (Send, Delivery, Bounce …) or, failing those, the reconcile delay decide later.
 */

/** Connection errors that happen before a byte of the request reached SES. */
const NEVER_REACHED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH']);
/** Errors raised before the request is sent at all (no credentials, a bad region). */
const BEFORE_SENDING = new Set(['CredentialsProviderError', 'TokenProviderError']);

/** Whether SES may have accepted the request although the caller got an error instead of its answer. */
export function answerMayBeLost(error: unknown): boolean {
  const e = error as { $metadata?: { httpStatusCode?: number }; $response?: { statusCode?: number }; code?: string; name?: string } | undefined;
  if (!e || typeof e !== 'object') return false;
  // SES answered: its answer says what happened (a 4xx refusal or a 5xx failure: nothing was accepted).
  if (e.$metadata?.httpStatusCode || e.$response?.statusCode) return false;
  if (e.code && NEVER_REACHED.has(e.code)) return false;
  if (e.name && BEFORE_SENDING.has(e.name)) return false;
  return true;
}

interface Token {
  getRetryCount(): number;
  getRetryDelay(): number;
}
const token = (count: number, delay: number): Token => ({ getRetryCount: () => count, getRetryDelay: () => delay });

/** The retry quota, as the SDK's standard mode: 500 units, a retry costs 5, a success gives one back. */
const QUOTA = 500;
const RETRY_COST = 5;

/**
 * The SDK's retry strategy interface (acquire, refresh, record success), retrying only requests that SES did not
 * take, up to `maxAttempts` tries in all, with capped exponential back-off and full jitter, and a retry quota shared
 * by the client's calls (as the SDK's standard mode): when SES keeps failing, the quota runs dry and calls fail at
 * once instead of tripling the load on it. A refused refresh makes the SDK throw the last error as it is.
 */
export class SendOnceRetryStrategy {
  readonly mode = 'standard';
  readonly #maxAttempts: number;
  readonly #baseMs: number;
  #quota = QUOTA;

  constructor(maxAttempts = 3, baseMs = 100) {
    this.#maxAttempts = maxAttempts;
    this.#baseMs = baseMs;
  }

  async acquireInitialRetryToken(_scope: string): Promise<Token> {
    return token(0, 0);
  }

  async refreshRetryTokenForRetry(previous: Token, info: { error?: unknown; errorType: string }): Promise<Token> {
    const count = previous.getRetryCount() + 1;
    if (count >= this.#maxAttempts || info.errorType === 'CLIENT_ERROR' || answerMayBeLost(info.error) || this.#quota < RETRY_COST) {
      throw new Error('no retry');
    }
    this.#quota -= RETRY_COST;
    return token(count, Math.floor(Math.random() * Math.min(20_000, this.#baseMs * 2 ** count)));
  }

  recordSuccess(_token: Token): void {
    this.#quota = Math.min(QUOTA, this.#quota + 1);
  }
}
