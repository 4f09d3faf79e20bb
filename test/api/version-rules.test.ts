import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { judgeVersion, runningVersionOf } from '../../api/services/target-inspection-rules.js';
import { projectRoot } from '../../stack/temporal-binaries.js';
import { releaseApi } from '../support/release-api.js';
import { releaseWorkflowBundle } from '../support/release-workflow-bundle.js';
import { startTestStack, type TestStack } from '../support/runway-stack.js';

describe('the version rules, on their own', () => {
  it('asks a regular or emergency release to be greater, a hotfix to bump PATCH only', () => {
    expect(judgeVersion('regular', '1.1.0', '1.0.0', 'production').passed).toBe(true);
    expect(judgeVersion('regular', '1.0.0', '1.0.0', 'production').passed).toBe(false);
    expect(judgeVersion('emergency', '0.9.9', '1.0.0', 'production').passed).toBe(false);
    expect(judgeVersion('hotfix', '1.0.1', '1.0.0', 'production').passed).toBe(true);
    expect(judgeVersion('hotfix', '1.1.0', '1.0.0', 'production')).toMatchObject({
      passed: false,
      rule: 'patch-bump-of-production',
    });
    expect(judgeVersion('hotfix', '2.0.1', '1.0.0', 'production').passed).toBe(false);
    // A first deploy: nothing to compare with.
    expect(judgeVersion('hotfix', '3.2.0', null, 'production').passed).toBe(true);
    expect(judgeVersion('config-change', 'baseline', '1.0.0', 'production').rule).toBe('none');
  });

  it('takes the active colour of a blue-green target and the highest instance of a rolling one', () => {
    const colours = { blue: { version: '1.0.0' }, green: { version: '1.2.0' } };
    expect(runningVersionOf({ strategy: 'blue-green', activeColour: 'blue', colours })).toBe('1.0.0');
    expect(runningVersionOf({ strategy: 'blue-green', activeColour: null, colours })).toBeNull();
    const instances = ['1.0.0', '1.10.0', '1.9.0'].map((version, index) => ({
      instance: `s-${index}`,
      version,
    }));
    expect(runningVersionOf({ strategy: 'rolling', instances })).toBe('1.10.0');
  });
});

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack(await releaseWorkflowBundle());
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

const { api } = releaseApi(() => stack);

const start = (type: string, version: string, dryRun = false) =>
  api('POST', '/releases', 'ops-wang', { type, service: 'edm-web', version, ...(dryRun ? { dryRun } : {}) });

const messageOf = (body: Record<string, unknown>) => (body.error as { message: string }).message;

/** What an operator would do by hand: put a version on the idle colour and switch traffic to it. */
async function setProductionByHand(version: string): Promise<void> {
  const agent = stack.config.environments.production?.services['edm-web']?.vars.agent as string;
  const edmCtl = (...args: string[]) =>
    execa(
      'node',
      ['--import', 'tsx', 'demo/bin/edm-ctl.ts', ...args, '--agent', agent, '--env', 'production'],
      {
        cwd: projectRoot,
      },
    );
  await edmCtl('deploy', '--colour', 'green', '--version', version);
  await edmCtl('switch', '--colour', 'green');
}

describe('version rules against what production runs', () => {
  it('refuses a regular release that is not greater, and a hotfix that is not a PATCH bump, naming production', async () => {
    const regular = await start('regular', '1.0.0');
    expect(regular.status).toBe(422);
    expect(messageOf(regular.body)).toContain('production runs 1.0.0');
    expect(messageOf(regular.body)).toContain('greater than');

    const hotfix = await start('hotfix', '1.1.0');
    expect(hotfix.status).toBe(422);
    expect(messageOf(hotfix.body)).toMatch(/PATCH bump.*production runs 1\.0\.0.*e\.g\. 1\.0\.1/);

    // A dry run answers as the start would, and says what it compared with when the version passes.
    expect((await start('hotfix', '1.1.0', true)).status).toBe(422);
    const dryRun = await start('hotfix', '1.0.1', true);
    expect(dryRun.status).toBe(200);
    expect(dryRun.body.versionRule).toMatchObject({
      rule: 'patch-bump-of-production',
      environment: 'production',
      running: '1.0.0',
      verdict: 'passes',
    });
    // Nothing was started by any of these.
    expect((await api('GET', '/releases', 'dev-chen')).body.releases).toEqual([]);
  });

  it('judges by what the target runs, even a version Runway never deployed, and shows it without a release', async () => {
    await setProductionByHand('1.3.7');
    const shown = await api('GET', '/services/edm-web/environments/production', 'dev-chen');
    expect(shown).toMatchObject({
      status: 200,
      body: {
        service: 'edm-web',
        environment: 'production',
        strategy: 'blue-green',
        version: '1.3.7',
        activeColour: 'green',
        colours: { blue: { version: '1.0.0' }, green: { version: '1.3.7' } },
        release: null,
      },
    });

    const regular = await start('regular', '1.2.0');
    expect(regular.status).toBe(422);
    expect(messageOf(regular.body)).toContain('production runs 1.3.7');
    const hotfix = await start('hotfix', '1.0.1', true);
    expect(hotfix.status).toBe(422);
    expect(messageOf(hotfix.body)).toContain('production runs 1.3.7');
    expect((await start('hotfix', '1.3.8', true)).body.versionRule).toMatchObject({ running: '1.3.7' });
    expect((await start('emergency', '1.3.7', true)).status).toBe(422);
  });

  it('shows an environment only to those who read it, and only for a service that runs there', async () => {
    expect((await api('GET', '/services/edm-web/environments/production', 'qa-sun')).status).toBe(403);
    expect((await api('GET', '/services/edm-web/environments/test', 'qa-sun')).body).toMatchObject({
      version: '1.0.0',
      release: null,
    });
    expect((await api('GET', '/services/edm-mailer/environments/test', 'qa-sun')).status).toBe(404);
    expect((await api('GET', '/services/Edm/environments/test', 'qa-sun')).status).toBe(400);
  });

  it('asks the target once for a burst of concurrent questions about one environment, and again afterwards', async () => {
    const inspections = async () => {
      let count = 0;
      for await (const _ of stack.runway.client.workflow.list({
        query: 'WorkflowType = "inspectTargetWorkflow" AND WorkflowId STARTS_WITH "inspect-edm-web-test-"',
      })) {
        count++;
      }
      return count;
    };
    const before = await inspections();
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => api('GET', '/services/edm-web/environments/test', 'qa-sun')),
    );
    expect(answers.map((answer) => [answer.status, answer.body.version])).toEqual(
      Array.from({ length: 10 }, () => [200, '1.0.0']),
    );
    // A question after the burst has ended is asked anew: answers are shared, never kept.
    expect((await api('GET', '/services/edm-web/environments/test', 'qa-sun')).status).toBe(200);
    // Visibility lags a little behind the server's own record.
    await expect.poll(inspections, { timeout: 10_000 }).toBe(before + 2);
  });
});
