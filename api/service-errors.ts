// Errors the API's services raise for callers; error-responses.ts turns each into its status.

/** The caller lacks a role for what they asked (403). */
export class ForbiddenError extends Error {}

/** No such release, or none the caller may see (404). */
export class NotFoundError extends Error {}

/** The release is not in a state that allows the request (409). */
export class ConflictError extends Error {
  constructor(
    message: string,
    readonly activeReleaseId?: string,
  ) {
    super(message);
  }
}

/** The request contradicts an earlier one (422), e.g. an Idempotency-Key reused for another body. */
export class UnprocessableError extends Error {}

/** A dependency (a worker, Temporal) did not answer in time (503); the caller may retry. */
export class UnavailableError extends Error {}
