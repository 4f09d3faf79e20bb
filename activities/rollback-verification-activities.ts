// The rollback verification checklist (R-RB-VERIFY), run after a rollback in each environment it
// touched: service healthy, key functions, user access (the old version is what users get), metrics
// recovered and no errors answered over a short probe. Data consistency comes from the database
// compensation's own check, which the workflow adds. Every item is recorded, passed or not.
import { judgeBake } from '../analysis/judge-bake.js';
import { probeFromSpec } from '../analysis/probe-from-spec.js';
import type {
  RollbackVerificationItem,
  RollbackVerificationReport,
  RollbackVerificationSpec,
} from '../workflows/release-model.js';
import type { ActivityDeps } from './activity-deps.js';
import { withHeartbeat } from './heartbeat.js';
import { probe } from './verification-activities.js';

export interface VerifyRollbackInput {
  releaseId: string;
  environment: string;
  spec: RollbackVerificationSpec;
  /** The version the service ran before the release; null when nothing ran there before it. */
  expectedVersion: string | null;
}

async function checkItems(
  input: VerifyRollbackInput,
  signal: AbortSignal,
): Promise<RollbackVerificationItem[]> {
  const { spec, expectedVersion } = input;
  const results = await Promise.all(
    spec.checks.map((check) => probe(spec.url, check, expectedVersion ?? '', signal)),
  );
  const [health, ...rest] = results;
  const versionChecks = rest.filter((_, index) => spec.checks[index + 1]?.expectVersion);
  const keyChecks = rest.filter((_, index) => !spec.checks[index + 1]?.expectVersion);
  const summary = (list: typeof results) =>
    list.map((check) => `${check.name}: ${check.detail}`).join('; ') || 'no checks configured';
  return [
    {
      name: 'service healthy',
      passed: health?.passed ?? false,
      detail: health ? summary([health]) : 'no health check configured',
    },
    { name: 'key functions', passed: keyChecks.every((check) => check.passed), detail: summary(keyChecks) },
    {
      name: 'user access',
      passed: versionChecks.every((check) => check.passed),
      detail: `users get ${expectedVersion}: ${summary(versionChecks)}`,
    },
  ];
}

async function metricItems(
  input: VerifyRollbackInput,
  signal: AbortSignal,
): Promise<RollbackVerificationItem[]> {
  const { spec } = input;
  try {
    const measurement = await probeFromSpec(spec.probe, spec.settings).measure(spec.durationMs, { signal });
    const verdict = judgeBake(measurement, null, spec.thresholds);
    const errors = measurement.traffic?.errors ?? 0;
    return [
      { name: 'metrics recovered', passed: verdict.status !== 'unhealthy', detail: verdict.summary },
      {
        name: 'no error logs',
        passed: errors === 0,
        detail: `${errors} errors in ${measurement.traffic?.requests ?? 0} requests over ${spec.durationMs} ms (${measurement.source})`,
      },
    ];
  } catch (error) {
    const detail = `could not measure: ${error instanceof Error ? error.message : String(error)}`;
    return [
      { name: 'metrics recovered', passed: false, detail },
      { name: 'no error logs', passed: false, detail },
    ];
  }
}

export function createRollbackVerificationActivities(deps: ActivityDeps) {
  return {
    async verifyRollback(input: VerifyRollbackInput): Promise<RollbackVerificationReport> {
      const started = Date.now();
      const items = await withHeartbeat(
        () => ({ elapsedMs: Date.now() - started }),
        async (signal) => {
          if (input.expectedVersion === null) {
            // A first deploy was taken out of service: nothing should answer, nothing to compare.
            return [
              {
                name: 'service healthy',
                passed: true,
                detail: 'nothing ran here before the release; it was taken out of service again',
              },
            ];
          }
          return [...(await checkItems(input, signal)), ...(await metricItems(input, signal))];
        },
      );
      const report = { environment: input.environment, passed: items.every((item) => item.passed), items };
      deps.logger.info(
        { releaseId: input.releaseId, environment: input.environment, passed: report.passed },
        'rollback verification ran',
      );
      return report;
    },
  };
}
