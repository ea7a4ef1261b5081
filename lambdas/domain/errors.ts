/**
 * Errors the domain raises on purpose. They carry a stable `code` a client can branch on; the HTTP edge
 * (`lambdas/handlers/middleware/http.ts`) maps each code to a status. Anything else that is thrown is a bug and
 * leaves the API as a bare 500 with no internals.
 */
export const ERROR_STATUS = {
  bad_request: 400,
  validation_failed: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  too_many_requests: 429,
  /** An upstream service (SES) refused or failed; nothing was done, the request can be retried. */
  bad_gateway: 502,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export interface ErrorDetail {
  /** Where the problem is: a dotted field path (`to.email`), a header or a line number. */
  readonly path?: string;
  readonly message: string;
}

export class SendwellError extends Error {
  override readonly name = 'SendwellError';
  readonly code: ErrorCode;
  readonly details: readonly ErrorDetail[];

  constructor(code: ErrorCode, message: string, details: readonly ErrorDetail[] = []) {
    super(message);
    this.code = code;
    this.details = details;
  }
}

export const isSendwellError = (e: unknown): e is SendwellError => e instanceof SendwellError;

/**
 * SES gave no answer to a SendEmail (a reset connection, a time-out): the mail may have gone out. Never resend it
 * blindly; the message stays claimed and SES's events settle it (lambdas/adapters/send-once.ts).
 */
export class SendOutcomeUnknown extends Error {
  override readonly name = 'SendOutcomeUnknown';
  constructor(cause: unknown) {
    super(`SES gave no answer (${(cause as Error)?.name ?? 'error'}: ${(cause as Error)?.message ?? String(cause)}); the mail may have been sent`, { cause });
  }
}

/**
 * A link of the template rendered, for this recipient, to something that is not an http, https or mailto URL
 * (`href="{{profile_url}}"` filled with `javascript:…`). The send is held for this recipient (`invalid_link`); the
 * details name the template's link, never the value it rendered to.
 */
export class UnsafeLink extends SendwellError {
  constructor(details: readonly ErrorDetail[]) {
    super('validation_failed', 'A link of the template rendered to something that is not an http, https or mailto URL.', details);
  }
}
