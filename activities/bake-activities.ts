// The bake (R-RB-TRIGGER-AUTO): a baseline of the running version just before a deploy, then the new
// version watched for the bake's duration and judged every probe interval over its recent window.
// An unhealthy verdict ends the activity at once with a non-retryable `BakeUnhealthy` failure that
// carries the trigger, the measured value and the threshold: the workflow rolls back on it.
import { ApplicationFailure, Context } from '@temporalio/activity';
import { type BakeVerdict, judgeBake, type TriggerCheck } from '../analysis/judge-bake.js';
import type { BakeMeasurement, TrafficObservation } from '../analysis/measurement.js';
import { MetricsUnavailableError } from '../analysis/measurement.js';
import { probeFromSpec } from '../analysis/probe-from-spec.js';
import type { BakeSettings, BakeThresholds, ProbeSpec } from '../workflows/release-model.js';
import type { ActivityDeps } from './activity-deps.js';
import { withHeartbeat } from './heartbeat.js';

export interface BaselineInput {
  releaseId: string;
  stepId: string;
  probe: ProbeSpec;
  durationMs: number;
  settings: BakeSettings;
}

export interface BaselineResult {
  source: string;
  /** Null when nothing answered: a first deploy has no baseline, and latency is then not judged. */
  p95Ms: number | null;
  requests: number;
  errors: number;
}

export interface BakeInput extends BaselineInput {
  thresholds: BakeThresholds;
  baseline: { p95Ms: number | null; requests: number } | null;
}

export interface BakeResult {
  source: string;
  durationMs: number;
  verdict: BakeVerdict['status'];
  summary: string;
  checks: BakeVerdict['checks'];
}

/**
 * What a running bake heartbeats: how far it is, and its latest judgement with the figures it
 * judged, so the API can show the bake as it goes. `elapsedMs` is also what a retried attempt resumes from.
 */
export interface BakeHeartbeat {
  stepId: string;
  elapsedMs: number;
  /** The rest is absent until the first judgement, one probe interval into the bake. */
  verdict?: BakeVerdict['status'];
  summary?: string;
  checks?: TriggerCheck[];
  /** The span of recent behaviour the judgement covered. */
  windowMs?: number;
  traffic?: Pick<TrafficObservation, 'requests' | 'errors' | 'p95Ms'> | null;
}

/** The details of a `BakeUnhealthy` failure: what tripped, with figures. */
export interface BakeTripped {
  trigger: string;
  measured: number;
  threshold: number;
  unit: string;
  summary: string;
  /** Milliseconds after the bake began. */
  atMs: number;
}

/** The failure of a bake whose trigger tripped: final (no retry), with the figures as its details. */
export function bakeUnhealthy(tripped: BakeTripped): ApplicationFailure {
  return ApplicationFailure.create({
    message: `bake: ${tripped.summary}`,
    type: 'BakeUnhealthy',
    nonRetryable: true,
    details: [tripped],
  });
}

function unavailable(error: unknown): never {
  if (error instanceof MetricsUnavailableError) {
    // Retried: a Prometheus restarting or a first scrape not yet in may answer on the next attempt.
    throw ApplicationFailure.retryable(error.message, 'MetricsUnavailable');
  }
  throw error;
}

/** The latest judgement as a heartbeat carries it: the verdict and the figures behind it. */
function judgementFigures(verdict: BakeVerdict, measurement: BakeMeasurement) {
  const { traffic } = measurement;
  return {
    verdict: verdict.status,
    summary: verdict.summary,
    checks: verdict.checks,
    windowMs: measurement.windowMs,
    traffic: traffic && { requests: traffic.requests, errors: traffic.errors, p95Ms: traffic.p95Ms },
  };
}

export function createBakeActivities(deps: ActivityDeps) {
  return {
    async measureBaseline(input: BaselineInput): Promise<BaselineResult> {
      const probe = probeFromSpec(input.probe, input.settings);
      const started = Date.now();
      const measurement = await withHeartbeat(
        () => ({ elapsedMs: Date.now() - started }),
        (signal) => probe.measure(input.durationMs, { signal }),
      ).catch(unavailable);
      const traffic = measurement.traffic;
      deps.logger.info(
        {
          releaseId: input.releaseId,
          step: input.stepId,
          p95Ms: traffic?.p95Ms,
          requests: traffic?.requests,
        },
        'baseline measured',
      );
      return {
        source: measurement.source,
        p95Ms: traffic?.p95Ms ?? null,
        requests: traffic?.requests ?? 0,
        errors: traffic?.errors ?? 0,
      };
    },

    /**
     * Resumes where a previous attempt stopped (its heartbeat carries the elapsed time), so a worker
     * dying mid-bake does not make the bake start over.
     */
    async bakeService(input: BakeInput): Promise<BakeResult> {
      const log = deps.logger.child({ releaseId: input.releaseId, step: input.stepId });
      const probe = probeFromSpec(input.probe, input.settings);
      const resumedMs =
        (Context.current().info.heartbeatDetails as { elapsedMs?: number } | undefined)?.elapsedMs ?? 0;
      const remainingMs = Math.max(input.durationMs - resumedMs, input.settings.intervalMs);
      const started = Date.now() - resumedMs;
      let latest: BakeVerdict | undefined;
      let judged: BakeMeasurement | undefined;
      let tripped: BakeTripped | undefined;
      const judge = (measurement: BakeMeasurement): 'stop' | undefined => {
        judged = measurement;
        latest = judgeBake(measurement, input.baseline, input.thresholds);
        if (latest.status !== 'unhealthy') return undefined;
        tripped = {
          trigger: latest.trigger,
          measured: latest.measured,
          threshold: latest.threshold,
          unit: latest.unit,
          summary: latest.summary,
          atMs: Date.now() - started,
        };
        return 'stop';
      };
      const measurement = await withHeartbeat(
        (): BakeHeartbeat => ({
          stepId: input.stepId,
          elapsedMs: Date.now() - started,
          ...(latest && judged ? judgementFigures(latest, judged) : {}),
        }),
        (signal) =>
          probe.measure(remainingMs, {
            signal,
            onProgress: judge,
            progressWindowMs: input.settings.judgeWindowSeconds * 1000,
          }),
      ).catch(unavailable);
      if (tripped) {
        log.warn(tripped, 'bake tripped a rollback trigger');
        throw bakeUnhealthy(tripped);
      }
      const verdict = judgeBake(measurement, input.baseline, input.thresholds);
      log.info({ verdict: verdict.status, summary: verdict.summary }, 'bake ended');
      return {
        source: measurement.source,
        durationMs: Date.now() - started,
        verdict: verdict.status,
        summary: verdict.summary,
        checks: verdict.checks,
      };
    },
  };
}
