// The start benchmark's baseline: a release started with a bare Temporal client, doing the work a
// start must do for the release workflow to run, and nothing of the API around it.
//
// What it does, as api/services/release-starter.ts does it: asks production what it runs through
// the same inspection workflow on the same worker (signed, as workers run nothing the API did not
// sign), resolves the plan and judges the version rule, inserts the release record that holds the
// service's lock (the workflow's first activity claims it, and refuses to run without it), and
// starts `releaseWorkflowV2` with the same input, start authority, policies, summary and search
// attributes.
//
// What it leaves out: HTTP and JSON, bearer-token authentication and the deploy-role checks, request
// validation, the audit trail and request log, the request metrics, the check for an earlier
// record under the id and for a release holding the service (a lock-holder query), the per-identity
// rate limiter, writing the run id after the start, and reading the release back for the 201 answer.
// The runbook file is read once, not per start.
import { randomBytes } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type pg from 'pg';
import type { TargetInspection } from '../../activities/target-inspection-activities.js';
import { judgeVersion, runningVersionOf } from '../../api/services/target-inspection-rules.js';
import type { RunwayConfig } from '../../config/config-schema.js';
import { insertRelease } from '../../db/release-records.js';
import { resolveReleasePlan } from '../../runbooks/resolve-release-plan.js';
import type { Runbook } from '../../runbooks/runbook-schema.js';
import type { DecisionKeys } from '../../security/decision-signature.js';
import { authoriseStart } from '../../security/start-authority.js';
import type { ReleaseInput } from '../../workflows/release-model.js';
import type { releaseWorkflowV2 } from '../../workflows/release-workflow.js';
import {
  environmentKey,
  environmentsKey,
  releaseTypeKey,
  serviceKey,
  statusKey,
  versionKey,
} from '../../workflows/search-attributes.js';
import { environmentsOf } from '../../workflows/steps/step-kinds.js';
import type { inspectTargetWorkflow } from '../../workflows/target-inspection-workflow.js';

export interface BareStarterDeps {
  client: Client;
  pool: pg.Pool;
  config: RunwayConfig;
  decisionKeys: DecisionKeys;
  runbook: Runbook;
  requestedBy: string;
}

const INSPECTION_TIMEOUT_MS = 15_000;

/** What production runs, asked on a worker exactly as the API's TargetInspector asks it. */
async function inspectProduction(deps: BareStarterDeps, service: string): Promise<TargetInspection> {
  const request = { service, environment: 'production' };
  const workflowId = `inspect-${service}-production-${randomBytes(4).toString('hex')}`;
  return deps.client.workflow.execute<typeof inspectTargetWorkflow>('inspectTargetWorkflow', {
    taskQueue: deps.config.settings.temporal.taskQueue,
    workflowId,
    args: [request, authoriseStart(deps.decisionKeys, 'inspectTargetWorkflow', workflowId, request)],
    workflowExecutionTimeout: INSPECTION_TIMEOUT_MS,
    staticSummary: `what ${service} runs in production`,
  });
}

/** Starts a regular release of `service` at `version`; returns its workflow id. */
export async function startBareRelease(
  deps: BareStarterDeps,
  service: string,
  version: string,
): Promise<string> {
  const { client, config } = deps;
  const plan = resolveReleasePlan({ runbook: deps.runbook, config, service, version });
  const running = runningVersionOf(await inspectProduction(deps, service));
  const verdict = judgeVersion('regular', version, running, 'production');
  if (!verdict.passed) throw new Error(verdict.reason);
  const releaseId = `${service}-regular-${version}-${randomBytes(3).toString('hex')}`;
  const environments = environmentsOf(plan);
  const fields = { type: 'regular' as const, service, version, requestedBy: deps.requestedBy, plan };
  const { webUrl, namespace, taskQueue } = config.settings.temporal;
  await insertRelease(deps.pool, {
    id: releaseId,
    ...fields,
    environments,
    workflowType: 'releaseWorkflowV2',
    temporalUrl: `${webUrl}/namespaces/${namespace}/workflows/${releaseId}`,
  });
  const input: ReleaseInput = {
    releaseId,
    ...fields,
    timings: { heartbeatTimeoutMs: config.settings.temporal.heartbeatTimeoutSeconds * 1000 },
  };
  await client.workflow.start<typeof releaseWorkflowV2>('releaseWorkflowV2', {
    taskQueue,
    workflowId: releaseId,
    args: [input, authoriseStart(deps.decisionKeys, 'releaseWorkflowV2', releaseId, input)],
    workflowIdConflictPolicy: 'FAIL',
    workflowIdReusePolicy: 'REJECT_DUPLICATE',
    staticSummary: `regular release of ${service} ${version}`,
    staticDetails: `Requested by ${deps.requestedBy}`,
    typedSearchAttributes: [
      { key: serviceKey, value: service },
      { key: releaseTypeKey, value: 'regular' },
      { key: versionKey, value: version },
      { key: statusKey, value: 'running' },
      { key: environmentsKey, value: environments },
      { key: environmentKey, value: environments[0] ?? '' },
    ],
  });
  return releaseId;
}
