// R-INPUT: release starts per identity, a token bucket on an injected clock.
import { describe, expect, it } from 'vitest';
import { RateLimitedError, StartRateLimiter } from '../../api/start-rate-limit.js';

function limiterAt(limit = { burst: 30, perMinute: 30 }) {
  const clock = { now: 0 };
  const limiter = new StartRateLimiter(limit, () => clock.now);
  return { limiter, clock };
}

const refusal = (take: () => void): RateLimitedError => {
  try {
    take();
  } catch (error) {
    if (error instanceof RateLimitedError) return error;
    throw error;
  }
  throw new Error('expected the start to be refused');
};

describe('the start rate limiter', () => {
  it('allows the default burst of 30 at once, then refuses the 31st with when to retry', () => {
    const { limiter } = limiterAt();
    for (let start = 1; start <= 30; start++) limiter.take('ops-wang');
    const error = refusal(() => limiter.take('ops-wang'));
    // 30 a minute: one start comes back every 2 seconds.
    expect(error.retryAfterSeconds).toBe(2);
    expect(error.message).toBe(
      'ops-wang started too many releases: at most 30 at once and 30 a minute; retry in 2 s',
    );
  });

  it('counts each identity apart', () => {
    const { limiter } = limiterAt({ burst: 1, perMinute: 1 });
    limiter.take('ops-wang');
    expect(() => limiter.take('ops-wang')).toThrow(RateLimitedError);
    expect(() => limiter.take('dev-chen')).not.toThrow();
  });

  it('refills at its rate, never beyond the burst', () => {
    const { limiter, clock } = limiterAt({ burst: 2, perMinute: 6 });
    limiter.take('a');
    limiter.take('a');
    expect(refusal(() => limiter.take('a')).retryAfterSeconds).toBe(10);
    clock.now += 9_999;
    expect(refusal(() => limiter.take('a')).retryAfterSeconds).toBe(1);
    clock.now += 1;
    limiter.take('a');
    // An hour of quiet refills only up to the burst.
    clock.now += 3_600_000;
    limiter.take('a');
    limiter.take('a');
    expect(() => limiter.take('a')).toThrow(RateLimitedError);
  });

  it('does not let refused attempts push the retry further away', () => {
    const { limiter, clock } = limiterAt({ burst: 1, perMinute: 60 });
    limiter.take('a');
    for (let attempt = 0; attempt < 100; attempt++) expect(() => limiter.take('a')).toThrow(RateLimitedError);
    clock.now += 1_000;
    expect(() => limiter.take('a')).not.toThrow();
  });

  it('sustains the refill rate over a minute: 30 a minute after the burst', () => {
    const { limiter, clock } = limiterAt();
    let allowed = 0;
    for (let second = 0; second < 120; second++) {
      for (let attempt = 0; attempt < 5; attempt++) {
        try {
          limiter.take('a');
          allowed += 1;
        } catch {
          // refused: counted by what was allowed
        }
      }
      clock.now += 1_000;
    }
    // The burst, then one every 2 s for the 119 s that follow.
    expect(allowed).toBe(30 + 59);
  });
});
