// R-INPUT: release starts are rate-limited per identity, so one token (a script gone wrong, a leaked
// token) cannot flood Temporal with workflows. A token bucket per identity: a full bucket allows a
// burst, then starts trickle in at the refill rate. Per API process; identities are configured, so
// the buckets are bounded by the identity list.

export interface StartRateLimit {
  /** Starts one identity may make at once, after a quiet spell. */
  burst: number;
  /** Starts regained per minute, up to the burst. */
  perMinute: number;
}

/** Too many starts from one identity (429); retry after `retryAfterSeconds`. */
export class RateLimitedError extends Error {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

interface Bucket {
  tokens: number;
  at: number;
}

export class StartRateLimiter {
  readonly #buckets = new Map<string, Bucket>();
  readonly #perMs: number;

  constructor(
    private readonly limit: StartRateLimit,
    /** Milliseconds, monotonic enough for refills; tests hand in their own. */
    private readonly now: () => number = () => performance.now(),
  ) {
    this.#perMs = limit.perMinute / 60_000;
  }

  /** Takes one start from the identity's bucket, or throws RateLimitedError saying when to retry. */
  take(identity: string): void {
    const bucket = this.#refilled(identity);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return;
    }
    const retryAfterSeconds = Math.max(1, Math.ceil((1 - bucket.tokens) / this.#perMs / 1000));
    throw new RateLimitedError(
      `${identity} started too many releases: at most ${this.limit.burst} at once and ${this.limit.perMinute} a minute; retry in ${retryAfterSeconds} s`,
      retryAfterSeconds,
    );
  }

  #refilled(identity: string): Bucket {
    const now = this.now();
    const bucket = this.#buckets.get(identity) ?? { tokens: this.limit.burst, at: now };
    bucket.tokens = Math.min(this.limit.burst, bucket.tokens + (now - bucket.at) * this.#perMs);
    bucket.at = now;
    this.#buckets.set(identity, bucket);
    return bucket;
  }
}
