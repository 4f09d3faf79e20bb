// Proof by addition: a step kind defined in one folder (./stamp: its schemas, engine side and
// activities) and registered from there runs through everything a built-in kind does — the plan,
// the dry run and its view, the OpenAPI document, a release that undoes it, and the rollback
// verification — without a line changed anywhere else. The workflow bundle is this test's own.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunwayActivities } from '../../activities/index.js';
import type { VerifyRollbackInput } from '../../activities/rollback-verification-activities.js';
import type { ReleasePlan } from '../../workflows/release-model.js';
import { createStampActivities } from './stamp/stamp-activities.js';
// Registers the stamp kind. Runway's modules are imported below, after it: the runbook schema and
// the API's schemas are built from the kinds registered when they are first imported.
import { stampDefinition } from './stamp/stamp-schema.js';
import './stamp/stamp-step.js';

const runway = async () => ({
  ...(await import('../../activities/decision-activities.js')),
  ...(await import('../../api/release-json.js')),
  ...(await import('../../config/load-config.js')),
  ...(await import('../../runbooks/load-runbook.js')),
  ...(await import('../../runbooks/resolve-release-plan.js')),
  ...(await import('../../workflows/release-messages.js')),
  ...(await import('../../workflows/release-workflow.js')),
  ...(await import('../../workflows/steps/step-definitions.js')),
  ...(await import('../../workflows/steps/step-kinds.js')),
  ...(await import('../api/api-test-app.js')),
  ...(await import('../support/signed-decisions.js')),
  ...(await import('../support/start-authority.js')),
  ...(await import('../support/temporal-test-env.js')),
});
let modules: Awaited<ReturnType<typeof runway>>;

const RUNBOOK = `type: regular
description: Stamp TEST, then verify it; a failed verification waits for a decision.
steps:
  - id: stamp-test
    kind: stamp
    environment: test
    label: canary
    checklist: { phase: during, item: canary stamped }
  - id: verify-test
    kind: verify
    environment: test
    onFailure: guided
`;

let runbookDir: string;
let plan: ReleasePlan;
let env: TestWorkflowEnvironment;

beforeAll(async () => {
  runbookDir = await mkdtemp(join(tmpdir(), 'runway-stamp-runbook-'));
  await writeFile(join(runbookDir, 'regular.yml'), RUNBOOK);
  modules = await runway();
  const runbook = await modules.loadRunbook('regular', runbookDir);
  const config = await modules.loadConfig();
  plan = modules.resolveReleasePlan({ runbook, config, service: 'edm-web', version: '1.1.0' });
  env = await modules.createTimeSkippingTestEnv();
});

afterAll(async () => {
  await env?.teardown();
  await rm(runbookDir, { recursive: true, force: true });
});

describe('a step kind added in its own folder', () => {
  it('is planned from a runbook, its traits counted: starting needs deploy where it changes a target', () => {
    expect(plan.steps.map((step) => [step.id, step.kind])).toEqual([
      ['stamp-test', 'stamp'],
      ['verify-test', 'verify'],
    ]);
    expect(plan.steps[0]).toMatchObject({ label: 'canary-1.1.0', environment: 'test' });
    expect(modules.environmentsDeployedBy(plan)).toEqual(['test']);
    expect(modules.definitionOf('stamp')).toBe(stampDefinition);
    expect(stampDefinition.describeChecks(plan.steps[0] as never)).toBe('stamps canary-1.1.0');
  });

  it('is shown by the view its schema derives, in a dry run and in the OpenAPI document', async () => {
    const { createTestApp, jsonAuth, TOKENS, planJson } = modules;
    const { app } = await createTestApp({ runbookDir });
    const response = await app.request('/api/v1/releases', {
      method: 'POST',
      headers: jsonAuth(TOKENS.opsWang),
      body: JSON.stringify({ type: 'regular', service: 'edm-web', version: '1.1.0', dryRun: true }),
    });
    expect(response.status).toBe(200);
    const { plan: shown } = (await response.json()) as { plan: { steps: unknown[] } };
    const stampView = {
      id: 'stamp-test',
      name: 'stamp-test',
      environment: 'test',
      checklist: { phase: 'during', item: 'canary stamped' },
      kind: 'stamp',
      label: 'canary-1.1.0',
    };
    expect(shown.steps[0]).toEqual(stampView);
    expect((planJson(plan) as { steps: unknown[] }).steps[0]).toEqual(stampView);

    const document = (await (await app.request('/openapi.json')).json()) as {
      components: { schemas: Record<string, { oneOf?: unknown[]; properties?: Record<string, unknown> }> };
    };
    const { PlanStep, Compensation } = document.components.schemas;
    const stampSchema = PlanStep?.oneOf?.find((option) => JSON.stringify(option).includes('"stamp"'));
    expect(stampSchema).toMatchObject({
      properties: { label: { type: 'string', description: 'What the step stamps on its target.' } },
    });
    expect(JSON.stringify(Compensation?.properties?.action)).toContain('"unstamp"');
  });

  it('runs in a release; a rollback decided after a later failure undoes it and verifies what its undo restored', async () => {
    const { activities: stampActivities, stamped } = createStampActivities();
    const verified: VerifyRollbackInput[] = [];
    const activities = {
      ...modules.createDecisionActivities({ decisionKeys: modules.testDecisionKeys } as never),
      ...modules.startAuthorityStandIns(),
      ...stampActivities,
      async recordTransition() {
        return { applied: true };
      },
      async verifyService() {
        throw ApplicationFailure.nonRetryable(
          'verification failed: health (status 503)',
          'VerificationFailed',
        );
      },
      async verifyRollback(input: VerifyRollbackInput) {
        verified.push(input);
        return { environment: input.environment, passed: true, items: [] };
      },
      async raiseAlert() {
        return { channels: [], attempts: 1 };
      },
      async deliverAlert() {
        return { delivered: true } as const;
      },
    } as unknown as RunwayActivities;
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: 'stamp-kind',
      workflowBundle: await bundleWorkflowCode({
        workflowsPath: join(import.meta.dirname, 'stamp-workflows.ts'),
      }),
      activities,
    });
    const releaseId = 'edm-web-regular-1.1.0-stamp';
    const input = {
      releaseId,
      type: 'regular' as const,
      service: 'edm-web',
      version: '1.1.0',
      requestedBy: 'ops-wang',
      plan,
    };
    const { authorisedArgs, releaseWorkflowV2, releaseStateQuery, decideUpdate, signedBy, claimFor } =
      modules;
    const outcome = await worker.runUntil(async () => {
      const handle = await env.client.workflow.start(releaseWorkflowV2, {
        taskQueue: 'stamp-kind',
        workflowId: releaseId,
        args: authorisedArgs('releaseWorkflowV2', releaseId, input, new Date(await env.currentTimeMs())),
      });
      // The verification after the stamp fails: roll back, as the person with deploy there decides.
      let state = await handle.query(releaseStateQuery);
      for (let attempt = 0; attempt < 300 && !state.pendingDecision; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        state = await handle.query(releaseStateQuery);
      }
      expect(stamped.get('test')).toEqual(['canary-1.1.0']);
      const issuedAt = new Date(await env.currentTimeMs()).toISOString();
      const claim = claimFor(releaseId, 'ops-wang', ['deploy'], 'rollback' as never, {
        gateId: state.pendingDecision?.gateId,
        issuedAt,
      });
      expect(
        await handle.executeUpdate(decideUpdate, { args: [signedBy(modules.testDecisionKeys, claim)] }),
      ).toMatchObject({
        outcome: 'counted',
      });
      await handle.result().catch(() => undefined);
      return handle.query(releaseStateQuery);
    });
    expect(outcome.status).toBe('rolled-back');
    expect(outcome.rollbackPlan).toMatchObject([{ id: 'stamp-test.unstamp', status: 'done' }]);
    expect(stamped.get('test')).toEqual([]);
    expect(verified.map((call) => [call.environment, call.restored])).toEqual([
      ['test', { revision: 'without canary-1.1.0' }],
    ]);
  });
});
