// A dry run resolves the real regular runbook against the real configuration and starts nothing
// (the test app's Temporal client and PostgreSQL pool throw if touched).
import { beforeAll, describe, expect, it } from 'vitest';
import { planJson } from '../../api/release-json.js';
import { loadRunbook } from '../../runbooks/load-runbook.js';
import { resolveReleasePlan } from '../../runbooks/resolve-release-plan.js';
import { createTestApp, jsonAuth, TOKENS } from './api-test-app.js';

interface DryRunJson {
  dryRun: true;
  plan: {
    type: string;
    steps: { id: string; kind: string; environment: string; [key: string]: unknown }[];
  };
}

let setup: Awaited<ReturnType<typeof createTestApp>>;
let response: Response;
let body: DryRunJson;

beforeAll(async () => {
  setup = await createTestApp();
  response = await setup.app.request('/api/v1/releases', {
    method: 'POST',
    headers: jsonAuth(TOKENS.opsWang),
    body: JSON.stringify({
      type: 'regular',
      service: 'edm-web',
      version: '2.0.0-rc.1+build.7',
      changeRef: 'CHG-1234',
      dryRun: true,
    }),
  });
  body = (await response.json()) as DryRunJson;
});

describe('POST /api/v1/releases with dryRun', () => {
  it('says when the release window would let it through if it were approved now', () => {
    const estimates = (
      body as unknown as { windowEstimates: { stepId: string; outcome: string; at: string | null }[] }
    ).windowEstimates;
    expect(estimates).toHaveLength(1);
    expect(estimates[0]).toMatchObject({ stepId: 'release-window', environment: 'production' });
    expect(['open', 'wait', 'unknown']).toContain(estimates[0]?.outcome);
    if (estimates[0]?.outcome !== 'unknown') expect(Date.parse(estimates[0]?.at ?? '')).not.toBeNaN();
  });

  it('answers 200 without a Location, since nothing was created', () => {
    expect(response.status).toBe(200);
    expect(response.headers.get('Location')).toBeNull();
    expect(body.dryRun).toBe(true);
  });

  it('returns the regular runbook steps in order, each in its environment', () => {
    expect(body.plan.type).toBe('regular');
    expect(body.plan.steps.map((step) => [step.id, step.kind, step.environment])).toEqual([
      ['dependencies-production', 'command', 'production'],
      ['rollback-plan-production', 'command', 'production'],
      ['migrations-ready-production', 'command', 'production'],
      ['migrate-test', 'migrate', 'test'],
      ['deploy-test', 'deploy', 'test'],
      ['error-logs-test', 'verify', 'test'],
      ['db-connectivity-test', 'verify', 'test'],
      ['key-functions-test', 'verify', 'test'],
      ['performance-test', 'verify', 'test'],
      ['monitoring-test', 'verify', 'test'],
      ['integration-tests', 'command', 'test'],
      ['migrate-staging', 'migrate', 'staging'],
      ['deploy-staging', 'deploy', 'staging'],
      ['verify-staging', 'verify', 'staging'],
      ['change-approval', 'approval', 'production'],
      ['release-window', 'window', 'production'],
      ['migrate-production', 'migrate', 'production'],
      ['baseline-production', 'baseline', 'production'],
      ['deploy-production', 'deploy', 'production'],
      ['verify-production', 'verify', 'production'],
      ['bake-production', 'bake', 'production'],
    ]);
  });

  it('shows who may order a rollback, frozen per environment, and what the bake compares with', () => {
    const { rollback } = body.plan as { rollback?: { deciders: Record<string, string[]> } };
    expect(rollback?.deciders.production).toEqual(['oncall-zhou', 'ops-wang']);
    const bake = body.plan.steps.find((step) => step.id === 'bake-production');
    expect(bake).toMatchObject({ kind: 'bake', baselineStepId: 'baseline-production' });
    const migrate = body.plan.steps.find((step) => step.id === 'migrate-production');
    expect(migrate?.database).toMatchObject({ urlEnv: expect.any(String) });
  });

  it('shows every driver action of a deploy, with the values filled in and the deploy-time ones left open', () => {
    // Spelled out from config/services/edm-web.yml and config/environments/production.yml, not computed,
    // so a change to what a dry run shows is a change to this test. {colour}, {expectedActive} and {idempotencyKey} stay
    // placeholders: only the deploy knows which colour is idle and which one it saw active.
    expect(body.plan.steps.find((step) => step.id === 'deploy-production')).toEqual({
      id: 'deploy-production',
      name: 'Deploy to PROD',
      environment: 'production',
      checklist: { phase: 'during', item: 'code deployed and service started' },
      kind: 'deploy',
      strategy: 'blue-green',
      driver: {
        type: 'command',
        actions: {
          inspect: {
            argv: [
              'node',
              'demo/dist/edm-ctl.mjs',
              'status',
              '--agent',
              'http://127.0.0.1:4100',
              '--env',
              'production',
            ],
            timeoutMs: 30_000,
            envFrom: {},
          },
          deploy: {
            argv: [
              'node',
              'demo/dist/edm-ctl.mjs',
              'deploy',
              '--agent',
              'http://127.0.0.1:4100',
              '--env',
              'production',
              '--colour',
              '{colour}',
              '--version',
              '2.0.0-rc.1+build.7',
              '--expect-active',
              '{expectedActive}',
              '--key',
              '{idempotencyKey}',
            ],
            timeoutMs: 120_000,
            envFrom: {},
          },
          check: {
            argv: [
              'node',
              'demo/dist/edm-ctl.mjs',
              'check',
              '--agent',
              'http://127.0.0.1:4100',
              '--env',
              'production',
              '--colour',
              '{colour}',
              '--version',
              '2.0.0-rc.1+build.7',
            ],
            timeoutMs: 60_000,
            envFrom: {},
          },
          switch: {
            argv: [
              'node',
              'demo/dist/edm-ctl.mjs',
              'switch',
              '--agent',
              'http://127.0.0.1:4100',
              '--env',
              'production',
              '--colour',
              '{colour}',
              '--expect-active',
              '{expectedActive}',
              '--key',
              '{idempotencyKey}',
            ],
            timeoutMs: 30_000,
            envFrom: {},
          },
          retire: {
            argv: [
              'node',
              'demo/dist/edm-ctl.mjs',
              'retire',
              '--agent',
              'http://127.0.0.1:4100',
              '--env',
              'production',
              '--colour',
              '{colour}',
              '--expect-active',
              '{expectedActive}',
              '--key',
              '{idempotencyKey}',
            ],
            timeoutMs: 30_000,
            envFrom: {},
          },
        },
      },
    });
  });

  it('shows the approval quorum and the verification target', () => {
    const approval = body.plan.steps.find((step) => step.kind === 'approval');
    expect(approval?.quorum).toEqual(['pm', 'tech-lead']);
    const verify = body.plan.steps.find((step) => step.id === 'verify-production');
    expect(verify?.url).toBe(setup.config.environments.production?.services['edm-web']?.url);
    expect(verify?.checks).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'health' })]));
  });

  it('is exactly the plan the resolver makes for this request', async () => {
    const plan = resolveReleasePlan({
      runbook: await loadRunbook('regular'),
      config: setup.config,
      service: 'edm-web',
      version: '2.0.0-rc.1+build.7',
    });
    expect(body.plan).toEqual(planJson(plan));
  });
});
