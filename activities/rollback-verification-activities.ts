// The rollback verification checklist (R-RB-VERIFY), run after a rollback in each environment it
// touched: service healthy, key functions, user access (the old version is what users get), metrics
// recovered and no errors answered over a short probe. Data consistency comes from the database
// compensation's own check, which the workflow adds. Every item is recorded, passed or not.

import { z } from 'zod';
import { judgeBake } from '../analysis/judge-bake.js';
import { probeFromSpec } from '../analysis/probe-from-spec.js';
import type {
  ConfigDriverSpec,
  RollbackVerificationItem,
  RollbackVerificationReport,
  RollbackVerificationSpec,
  RollingDriverSpec,
} from '../workflows/release-model.js';
import type { ActivityDeps } from './activity-deps.js';
import { runDriverAction } from './drivers/driver-action.js';
import { parseLastJsonLine } from './drivers/driver-output.js';
import { withHeartbeat } from './heartbeat.js';
import { probe } from './verification-activities.js';

/**
 * What the compensations put back in an environment, which the checklist checks item by item: the
 * version users get (blue-green's colour, or every instance of a rolling service; null: nothing served
 * before, the colour was taken out of service), each rolling instance's version, the configuration
 * revision in force. Absent parts were not changed by the release.
 */
export interface RestoredState {
  version?: string | null;
  instances?: Record<string, string>;
  revision?: string;
}

export interface VerifyRollbackInput {
  releaseId: string;
  environment: string;
  spec: RollbackVerificationSpec;
  /** The version the service ran before the release; null when nothing ran there before it. */
  expectedVersion: string | null;
  /** What was restored (rollbacks since release-rules.ts); without it, `expectedVersion` alone is checked. */
  restored?: RestoredState;
  service?: string;
  /** The drivers that read what was restored: rolling instances, configuration revisions. */
  drivers?: { rolling?: RollingDriverSpec; config?: ConfigDriverSpec };
}

/**
 * A checklist item answered by asking the environment's driver what it runs now: failed, saying why,
 * when there is no driver to ask or the driver cannot answer.
 */
async function driverItem<D>(
  name: string,
  driver: D | undefined,
  input: VerifyRollbackInput,
  ask: (target: {
    service: string;
    environment: string;
    driver: D;
  }) => Promise<{ passed: boolean; detail: string }>,
): Promise<RollbackVerificationItem> {
  if (!driver || !input.service) return { name, passed: false, detail: `no driver to ask for ${name}` };
  try {
    return { name, ...(await ask({ service: input.service, environment: input.environment, driver })) };
  } catch (error) {
    return {
      name,
      passed: false,
      detail: `could not ask: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
}

/** Each restored instance runs its version again, as the rolling driver's `instances` says. */
function instanceItem(
  deps: ActivityDeps,
  input: VerifyRollbackInput,
  expected: Record<string, string>,
  signal: AbortSignal,
): Promise<RollbackVerificationItem> {
  return driverItem('instances restored', input.drivers?.rolling, input, async (target) => {
    const result = await runDriverAction(
      target,
      'instances',
      {},
      {
        cwd: deps.workingDirectory,
        signal,
        compareAndSwap: 'update',
      },
    );
    const running = new Map(
      parseLastJsonLine('instances', result, instancesSchema).map((entry) => [entry.instance, entry.version]),
    );
    const wrong = Object.entries(expected).filter(([instance, version]) => running.get(instance) !== version);
    const said = (entries: [string, string][], say: (instance: string, version: string) => string) =>
      entries.map(([instance, version]) => say(instance, version)).join(', ');
    return wrong.length === 0
      ? {
          passed: true,
          detail: said(Object.entries(expected), (instance, version) => `${instance} runs ${version}`),
        }
      : {
          passed: false,
          detail: said(
            wrong,
            (instance, version) => `${instance} runs ${running.get(instance) ?? 'nothing'}, not ${version}`,
          ),
        };
  });
}

/** The configuration revision in force is the one restored, as the configuration driver's `current` says. */
function revisionItem(
  deps: ActivityDeps,
  input: VerifyRollbackInput,
  expected: string,
  signal: AbortSignal,
): Promise<RollbackVerificationItem> {
  return driverItem('configuration restored', input.drivers?.config, input, async (target) => {
    const result = await runDriverAction(
      target,
      'current',
      {},
      {
        cwd: deps.workingDirectory,
        signal,
        compareAndSwap: 'apply',
      },
    );
    const { revision } = parseLastJsonLine('current', result, currentSchema);
    return {
      passed: revision === expected,
      detail:
        revision === expected
          ? `${expected} is in force`
          : `${revision ?? 'none'} is in force, not ${expected}`,
    };
  });
}

const instancesSchema = z.array(z.looseObject({ instance: z.string().min(1), version: z.string().min(1) }));
const currentSchema = z.looseObject({ revision: z.string().min(1).nullable() });

async function checkItems(
  input: VerifyRollbackInput,
  signal: AbortSignal,
): Promise<RollbackVerificationItem[]> {
  const { spec } = input;
  // A rollback that changed no version (a configuration) checks none; otherwise what users get.
  const expectedVersion = input.restored ? input.restored.version : input.expectedVersion;
  const results = await Promise.all(
    spec.checks.map((check) => probe(spec.url, check, expectedVersion ?? '', signal)),
  );
  const [health, ...rest] = results;
  const versionChecks =
    expectedVersion === undefined ? [] : rest.filter((_, index) => spec.checks[index + 1]?.expectVersion);
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
      detail:
        expectedVersion === undefined
          ? `the release changed no version here: ${summary(rest)}`
          : `users get ${expectedVersion}: ${summary(versionChecks)}`,
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
          const restored = input.restored;
          if (restored) {
            if (restored.version === null && !restored.instances && restored.revision === undefined) {
              return [
                {
                  name: 'service healthy',
                  passed: true,
                  detail: 'nothing ran here before the release; it was taken out of service again',
                },
              ];
            }
            return [
              ...(await checkItems(input, signal)),
              ...(restored.instances ? [await instanceItem(deps, input, restored.instances, signal)] : []),
              ...(restored.revision !== undefined
                ? [await revisionItem(deps, input, restored.revision, signal)]
                : []),
              ...(await metricItems(input, signal)),
            ];
          }
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
