// The automatic rollback triggers' thresholds (R-RB-TRIGGER-AUTO), one place for their defaults.
// A service's config may override any of them; `analysisThresholdsSchema.parse({})` is the SPEC.
import { z } from 'zod';

export const analysisThresholdsSchema = z.strictObject({
  /** Trips when this many health checks in a row fail. */
  healthConsecutiveFailures: z.number().int().min(1).default(3),
  /** Trips when more than this share of requests fail, in percent (SPEC: 5). */
  errorRatePercent: z.number().min(0).max(100).default(5),
  /** Trips when p95 latency is above this percentage of the baseline p95 (SPEC: 200). */
  p95PercentOfBaseline: z.number().min(100).default(200),
  /**
   * Below this many requests in the window (or in the baseline), error rate and latency give no
   * verdict: one failed request out of three is not a 33 % error rate anyone should roll back for.
   */
  minRequests: z.number().int().min(1).default(10),
  /**
   * The baseline p95 counts as at least this much. A local service answers in a millisecond or two,
   * and 200 % of that is scheduler noise, not a slower release.
   */
  baselineFloorMs: z.number().min(0).default(50),
});

export type AnalysisThresholds = z.infer<typeof analysisThresholdsSchema>;

export const DEFAULT_ANALYSIS_THRESHOLDS: AnalysisThresholds = analysisThresholdsSchema.parse({});

/**
 * How a bake watches: probe every `intervalMs`, give up on a request after `timeoutMs`, judge the
 * last `judgeWindowSeconds`. At the defaults a 30 % error share trips within about two seconds: two
 * service paths a round fill the window with 40 requests, and the third error lifts it over 5 %.
 */
export const bakeProbeSettingsSchema = z.strictObject({
  intervalMs: z.number().int().min(50).default(500),
  timeoutMs: z.number().int().min(50).default(2000),
  judgeWindowSeconds: z.number().int().min(1).default(10),
});

export type BakeProbeSettings = z.infer<typeof bakeProbeSettingsSchema>;

export const DEFAULT_BAKE_PROBE_SETTINGS: BakeProbeSettings = bakeProbeSettingsSchema.parse({});
