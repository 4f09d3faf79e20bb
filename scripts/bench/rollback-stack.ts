// The stack the rollback benchmark (`npm run bench:rollback`, and `npm run bench`'s rollback rows) measures on: the test stack (real Temporal, PostgreSQL, demo target,
// worker and API) with a production-only runbook, so each run is baseline → deploy → bake, and the
// bake, at the default probe settings, is what trips the rollback.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { DEFAULT_ANALYSIS_THRESHOLDS, DEFAULT_BAKE_PROBE_SETTINGS } from '../../analysis/thresholds.js';
import type { RunwayConfig } from '../../config/config-schema.js';
import { DEMO_ROLLING_SERVICE, DEMO_SERVICE } from '../../stack/demo-target-layout.js';
import { startTestStack, type TestStack } from '../../test/support/runway-stack.js';
import { RELEASE_WORKFLOW_BUNDLE } from '../../worker/create-release-worker.js';

/** What the `+errors` builds do (demo/edm-web/faults.ts): go bad a second after taking traffic. */
export const FAULT_AFTER_MS = 1000;
export const ERROR_SHARE = 0.3;
/** Long enough that every run ends by a tripped trigger, never by the bake running out. */
const BAKE_SECONDS = 120;
export const ROLLING_INSTANCES = 4;
export const BENCH_ENVIRONMENT = 'production';

const PRODUCTION_ONLY_RUNBOOK = `type: regular
description: Production only, for the rollback benchmark (the production part of runbooks/regular.yml).
steps:
  - id: baseline-production
    name: Measure the baseline on PROD
    kind: baseline
    environment: production
  - id: deploy-production
    name: Deploy to PROD
    kind: deploy
    environment: production
  - id: bake-production
    name: Bake on PROD
    kind: bake
    environment: production
    baseline: baseline-production
`;

function configureForBench(config: RunwayConfig): void {
  for (const name of [DEMO_SERVICE, DEMO_ROLLING_SERVICE]) {
    const analysis = config.services[name]?.analysis;
    if (!analysis) continue;
    analysis.bakeSeconds = BAKE_SECONDS;
    analysis.baselineSeconds = 1;
    analysis.recoverySeconds = 1;
    analysis.probeSettings = { ...DEFAULT_BAKE_PROBE_SETTINGS };
    analysis.thresholds = { ...DEFAULT_ANALYSIS_THRESHOLDS };
  }
  // Only production is released; the other environments keep one sender instance each.
  for (const environment of Object.values(config.environments)) {
    const sender = environment.services[DEMO_ROLLING_SERVICE];
    if (!sender) continue;
    sender.vars.instances = environment.name === BENCH_ENVIRONMENT ? String(ROLLING_INSTANCES) : '1';
  }
  config.settings.rollback.afterSuccessMinutes = 0;
}

export interface BenchStack {
  stack: TestStack;
  stop(): Promise<void>;
}

/**
 * The demo target starts its instances with this process's environment, so the fault settings are
 * set here, before it starts.
 */
export async function startBenchStack(withSender: boolean): Promise<BenchStack> {
  process.env.EDM_FAULT_AFTER_MS = String(FAULT_AFTER_MS);
  process.env.EDM_ERROR_SHARE = String(ERROR_SHARE);
  process.env.RUNWAY_LOG_LEVEL ??= 'error';
  const runbookDir = await mkdtemp(join(tmpdir(), 'runway-bench-runbooks-'));
  const removeRunbooks = () => rm(runbookDir, { recursive: true, force: true });
  try {
    await writeFile(join(runbookDir, 'regular.yml'), PRODUCTION_ONLY_RUNBOOK);
    const bundle = await bundleWorkflowCode({
      ...RELEASE_WORKFLOW_BUNDLE,
      logger: new DefaultLogger('WARN'),
    });
    const stack = await startTestStack(bundle, { runbookDir, withSender, configure: configureForBench });
    return {
      stack,
      async stop() {
        await stack.stop();
        await removeRunbooks();
      },
    };
  } catch (error) {
    await removeRunbooks();
    throw error;
  }
}
