import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { principalFor } from '../../api/principal.js';
import { UnavailableError } from '../../api/service-errors.js';
import { TargetHealthChecker } from '../../api/services/target-health.js';
import { releaseApi } from '../support/release-api.js';
import { releaseWorkflowBundle } from '../support/release-workflow-bundle.js';
import { startTestStack, type TestStack } from '../support/runway-stack.js';
import { testDecisionKeys } from '../support/signed-decisions.js';

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack(await releaseWorkflowBundle());
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

const { api } = releaseApi(() => stack);

const health = (service: string, environment: string, as: string, query = '') =>
  api('GET', `/services/${service}/environments/${environment}/health${query}`, as);

/** The process serving the active colour of an environment, as the demo agent reports it. */
async function activeColourPid(environment: string): Promise<number> {
  const response = await fetch(`${stack.demo.controlUrl}/environments/${environment}`);
  const status = (await response.json()) as {
    activeColour: 'blue' | 'green';
    colours: Record<'blue' | 'green', { pid: number | null } | null>;
  };
  const pid = status.colours[status.activeColour]?.pid;
  if (!pid) throw new Error(`${environment} runs no active colour: ${JSON.stringify(status)}`);
  return pid;
}

const EDM_WEB_CHECKS = ['health', 'version', 'key-function'];

describe('GET /api/v1/services', () => {
  it('lists every configured service with the environments a full reader reads', async () => {
    const everywhere = ['development', 'production', 'staging', 'test'];
    expect(await api('GET', '/services', 'ops-wang')).toEqual({
      status: 200,
      body: {
        services: [
          {
            name: 'edm-sender',
            description: stack.config.services['edm-sender']?.description,
            strategy: 'rolling',
            environments: everywhere,
          },
          {
            name: 'edm-web',
            description: stack.config.services['edm-web']?.description,
            strategy: 'blue-green',
            environments: everywhere,
          },
        ],
      },
    });
    // oncall-zhou reads every environment but development.
    const { body } = await api('GET', '/services', 'oncall-zhou');
    expect((body.services as { environments: string[] }[]).map((service) => service.environments)).toEqual([
      ['production', 'staging', 'test'],
      ['production', 'staging', 'test'],
    ]);
  });

  it('shows a TEST-only reader the test environment only', async () => {
    const { status, body } = await api('GET', '/services', 'qa-sun');
    expect(status).toBe(200);
    expect(body.services).toEqual([
      expect.objectContaining({ name: 'edm-sender', environments: ['test'] }),
      expect.objectContaining({ name: 'edm-web', environments: ['test'] }),
    ]);
  });

  it('refuses a query it does not take', async () => {
    expect((await api('GET', '/services?service=edm-web', 'qa-sun')).status).toBe(400);
  });
});

describe('GET /api/v1/services/{service}/environments/{environment}/health', () => {
  it('answers healthy with the configured checks for a target that serves', async () => {
    const before = Date.now();
    const { status, body } = await health('edm-web', 'test', 'qa-sun');
    expect(status).toBe(200);
    expect(body).toEqual({
      service: 'edm-web',
      environment: 'test',
      healthy: true,
      checks: EDM_WEB_CHECKS.map((name) => ({
        name,
        passed: true,
        latencyMs: expect.any(Number),
        detail: 'status 200',
      })),
      checkedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
    });
    expect(Date.parse(body.checkedAt as string)).toBeGreaterThanOrEqual(before);
  });

  it('answers unhealthy, naming each failing check, when the environment’s process is killed', async () => {
    process.kill(await activeColourPid('staging'), 'SIGKILL');
    const { status, body } = await health('edm-web', 'staging', 'dev-chen', '?timeout=10');
    expect(status).toBe(200);
    expect(body).toMatchObject({ service: 'edm-web', environment: 'staging', healthy: false });
    expect(body.checks).toEqual(
      EDM_WEB_CHECKS.map((name) => ({
        name,
        passed: false,
        latencyMs: expect.any(Number),
        detail: expect.stringMatching(/^status 502, expected 200$/),
      })),
    );
    // Only that environment is down.
    expect((await health('edm-web', 'production', 'dev-chen')).body.healthy).toBe(true);
    // A service with no process at all (the stack runs no edm-sender): the connection is refused.
    const sender = await health('edm-sender', 'test', 'qa-sun', '?timeout=5');
    expect(sender.body).toMatchObject({ healthy: false });
    for (const check of sender.body.checks as { passed: boolean; detail: string }[]) {
      expect(check).toMatchObject({ passed: false, detail: 'fetch failed: ECONNREFUSED' });
    }
  });

  it('gives up on a hanging target within the timeout asked for', async () => {
    const pid = await activeColourPid('production');
    process.kill(pid, 'SIGSTOP');
    try {
      const started = Date.now();
      const { status, body } = await health('edm-web', 'production', 'dev-chen', '?timeout=1');
      const took = Date.now() - started;
      expect(status).toBe(200);
      expect(body.healthy).toBe(false);
      for (const check of body.checks as { passed: boolean; latencyMs: number; detail: string }[]) {
        expect(check.passed).toBe(false);
        // Well under the default of 30 s: the 1 s asked for is honoured, with room for a loaded machine.
        expect(check.latencyMs).toBeLessThan(3_000);
        expect(check.detail).toMatch(/timeout|abort/i);
      }
      // The round's second, and the worker's taking of the workflow; a default round would take 30 s.
      expect(took).toBeLessThan(20_000);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
  });

  it('is 404 for an unknown service or environment, 403 to a reader of another environment', async () => {
    expect(await health('edm-mailer', 'test', 'qa-sun')).toMatchObject({
      status: 404,
      body: { error: { message: 'service edm-mailer does not run in test' } },
    });
    expect(await health('edm-web', 'moon', 'qa-sun')).toMatchObject({
      status: 404,
      body: { error: { message: 'there is no environment moon' } },
    });
    expect(await health('edm-web', 'production', 'qa-sun')).toMatchObject({
      status: 403,
      body: { error: { message: 'qa-sun cannot read production' } },
    });
    // Not even whether a service runs there is said to someone who does not read it.
    expect((await health('edm-mailer', 'production', 'qa-sun')).status).toBe(403);
  });

  it('is 400 for a timeout that is not a whole number of seconds from 1 to 120, or a bad name', async () => {
    for (const query of [
      '?timeout=0',
      '?timeout=121',
      '?timeout=1.5',
      '?timeout=soon',
      '?timeout=',
      '?url=x',
    ]) {
      const answer = await health('edm-web', 'test', 'qa-sun', query);
      expect(answer.status, query).toBe(400);
    }
    expect((await health('edm-web', 'test', 'qa-sun', '?timeout=120')).status).toBe(200);
    expect((await health('Edm', 'test', 'qa-sun')).status).toBe(400);
  });

  it('is a 503 when no worker takes the check in time', async () => {
    const config = structuredClone(stack.config);
    config.settings.temporal.taskQueue = `${config.settings.temporal.taskQueue}-nobody`;
    const checker = new TargetHealthChecker({
      client: stack.runway.client,
      config,
      decisionKeys: testDecisionKeys,
    });
    const asked = checker.check(principalFor('qa-sun', config), 'edm-web', 'test', 1_000);
    await expect(asked).rejects.toBeInstanceOf(UnavailableError);
    await expect(asked).rejects.toThrow(/no answer within 11 s .* no worker polls task queue/);
  });
});
