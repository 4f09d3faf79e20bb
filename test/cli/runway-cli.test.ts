// The `runway` command end to end: the real bin as a child process (no terminal), against one
// running stack (the API, a worker, Temporal, PostgreSQL and the demo target). The regular runbook
// here is short — TEST, the change approval, then production with a two-second bake — so a
// release ends within seconds. Releases of edm-web take its lock one at a time, so the release
// cases run in order; the others run side by side first.
import { stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DryRunSchema, ReleaseListSchema, ReleaseSchema } from '../../api/release-schemas.js';
import { getFreePort } from '../../stack/free-port.js';
import { releaseApi } from '../support/release-api.js';
import { releaseWorkflowBundle } from '../support/release-workflow-bundle.js';
import { startTestStack, type TestStack } from '../support/runway-stack.js';
import {
  type CliOptions,
  type CliRun,
  cliHome,
  runRunway,
  spawnRunway,
  writeTokenFiles,
} from './runway-cli.js';

const RUNBOOK = `type: regular
description: TEST, the change approval, then production with a short bake.
steps:
  - { id: deploy-test, kind: deploy, environment: test }
  - { id: change-approval, name: Change approval, kind: approval, environment: production, quorum: [pm, tech-lead] }
  - { id: baseline-production, kind: baseline, environment: production }
  - { id: deploy-production, kind: deploy, environment: production }
  - { id: bake-production, kind: bake, environment: production, baseline: baseline-production }
`;

let stack: TestStack;
let home: Awaited<ReturnType<typeof cliHome>>;
let tokenFiles: Record<string, string>;

beforeAll(async () => {
  home = await cliHome();
  await writeFile(join(home.home, 'regular.yml'), RUNBOOK);
  stack = await startTestStack(await releaseWorkflowBundle(), {
    runbookDir: home.home,
    // A succeeded release may still be rolled back for a while (the test stacks close it at once).
    configure: (config) => {
      config.settings.rollback.afterSuccessMinutes = 30;
    },
  });
  tokenFiles = await writeTokenFiles(home.home, stack.tokens);
});

afterAll(async () => {
  await stack?.stop();
  await home?.remove();
});

const { getRelease, waitForStatus, servedVersion } = releaseApi(() => stack);

/** The command as `identity`, pointed at the stack by RUNWAY_URL and RUNWAY_TOKEN_FILE. */
function envAs(identity: string): Record<string, string | undefined> {
  return {
    RUNWAY_URL: stack.runway.apiUrl,
    RUNWAY_TOKEN_FILE: tokenFiles[identity],
    RUNWAY_PROFILE: join(home.home, 'no-profile.json'),
  };
}

const runway = (identity: string, args: string[], options: CliOptions = {}) =>
  runRunway(args, home.home, { ...options, env: { ...envAs(identity), ...options.env } });

/** The error a command prints: exactly one line on stderr. */
function oneLineError(run: CliRun): string {
  const lines = run.stderr.split('\n').filter(Boolean);
  expect(lines, run.stderr).toHaveLength(1);
  return lines[0] ?? '';
}

/** Lines in the order given, each after the one before (a watch prints one line per change). */
function expectInOrder(text: string, fragments: string[]): void {
  let from = 0;
  for (const fragment of fragments) {
    const at = text.indexOf(fragment, from);
    expect(at, `"${fragment}" after position ${from} in:\n${text}`).toBeGreaterThanOrEqual(0);
    from = at + fragment.length;
  }
}

const ESCAPE = '\x1b[';

describe.concurrent('the runway command, outside a release', () => {
  it('refuses a token given as an argument before sending anything', async () => {
    const token = stack.tokens['dev-chen'] ?? '';
    for (const args of [
      ['list', '--token', token],
      ['list', `--token=${token}`],
    ]) {
      const run = await runway('dev-chen', args);
      expect(run.exitCode).toBe(1);
      expect(oneLineError(run)).toMatch(/^runway: a token is never taken as an argument .*--token-file/);
      expect(run.stderr + run.stdout).not.toContain(token);
    }
  });

  it('without a terminal refuses to start towards production unless --yes, and starts nothing', async () => {
    const run = await runway('ops-wang', ['deploy', '--service', 'edm-web', '--version', '1.9.0']);
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toContain('change-approval');
    expect(oneLineError(run)).toBe(
      'runway: edm-web 1.9.0 (regular) deploys to production: confirm on a terminal, or pass --yes (nothing was started)',
    );
    const listed = await runway('ops-wang', ['list', '--json']);
    const { releases } = ReleaseListSchema.parse(JSON.parse(listed.stdout));
    expect(releases.filter((release) => release.version === '1.9.0')).toEqual([]);
  });

  it('prints a dry run as the API answers it with --json, and refuses an --env the runbook does not end in', async () => {
    const dryRun = await runway('ops-wang', [
      'deploy',
      '--service',
      'edm-web',
      '--version',
      '1.9.1',
      '--dry-run',
      '--json',
    ]);
    expect(dryRun.exitCode).toBe(0);
    const plan = DryRunSchema.parse(JSON.parse(dryRun.stdout));
    expect(plan.plan.steps.map((step) => step.id)).toEqual([
      'deploy-test',
      'change-approval',
      'baseline-production',
      'deploy-production',
      'bake-production',
    ]);
    const wrongEnv = await runway('ops-wang', [
      'deploy',
      '--service',
      'edm-web',
      '--version',
      '1.9.1',
      '--env',
      'staging',
      '--yes',
    ]);
    expect(wrongEnv.exitCode).toBe(1);
    expect(oneLineError(wrongEnv)).toContain('ends in production, not staging (nothing was started)');
  });

  it('writes the profile with mode 600 at login, from a token on stdin, and later commands use it', async () => {
    const profile = join(home.home, 'login', 'profile.json');
    const onlyProfile = { RUNWAY_PROFILE: profile, RUNWAY_URL: undefined, RUNWAY_TOKEN_FILE: undefined };
    const refused = await runway('dev-chen', ['login', '--url', stack.runway.apiUrl], {
      env: onlyProfile,
      input: 'rw_not_a_known_token_at_all\n',
    });
    expect(refused.exitCode).toBe(1);
    expect(oneLineError(refused)).toMatch(/^runway: 401 Unauthorized: .*nothing saved/);
    await expect(stat(profile)).rejects.toThrow();

    const login = await runway('dev-chen', ['login', '--url', `${stack.runway.apiUrl}/api/v1/`], {
      env: onlyProfile,
      input: `${stack.tokens['dev-chen']}\n`,
    });
    expect(login.exitCode, login.stderr).toBe(0);
    expect((await stat(profile)).mode & 0o777).toBe(0o600);
    expect((await stat(join(home.home, 'login'))).mode & 0o777).toBe(0o700);

    const listed = await runway('dev-chen', ['list', '--json'], { env: onlyProfile });
    expect(listed.exitCode, listed.stderr).toBe(0);
    expect(ReleaseListSchema.parse(JSON.parse(listed.stdout)).releases).toBeInstanceOf(Array);
    // The profile's token goes only to the profile's server.
    const elsewhere = await runway('dev-chen', ['list', '--url', 'http://127.0.0.1:9'], { env: onlyProfile });
    expect(elsewhere.exitCode).toBe(1);
    expect(oneLineError(elsewhere)).toContain("the profile's token is for");
  });

  it('says which URL it could not reach, and prints an API error as one line with its status', async () => {
    const port = await getFreePort();
    const unreachable = await runway('dev-chen', ['list'], {
      env: { RUNWAY_URL: `http://127.0.0.1:${port}` },
    });
    expect(unreachable.exitCode).toBe(1);
    expect(oneLineError(unreachable)).toBe(`runway: cannot reach http://127.0.0.1:${port}: ECONNREFUSED`);

    const unknown = await runway('dev-chen', ['status', 'edm-web-regular-9.9.9-zzzzzz']);
    expect(unknown.exitCode).toBe(1);
    expect(oneLineError(unknown)).toBe('runway: 404 Not Found: no release edm-web-regular-9.9.9-zzzzzz');

    const notAdmin = await runway('dev-chen', ['audit']);
    expect(notAdmin.exitCode).toBe(1);
    expect(oneLineError(notAdmin)).toMatch(/^runway: 403 Forbidden: /);
  });

  it('health-check exits non-zero when one target is down, zero when every one asked is healthy', async () => {
    // edm-sender's processes do not run in this stack: every one of its environments is down.
    const all = await runway('dev-chen', ['health-check', '--service', 'all', '--timeout', '5', '--json']);
    expect(all.exitCode, all.stderr).toBe(3);
    const { results } = JSON.parse(all.stdout) as {
      results: { ok: boolean; service: string; environment: string; healthy?: boolean }[];
    };
    const verdicts = results.map((result) => [
      result.service,
      result.environment,
      result.ok && result.healthy,
    ]);
    expect(verdicts).toContainEqual(['edm-web', 'development', true]);
    expect(verdicts.filter(([service]) => service === 'edm-sender').map(([, , healthy]) => healthy)).toEqual([
      false,
      false,
      false,
      false,
    ]);

    const down = await runway('dev-chen', ['health-check', '--service', 'edm-sender', '--env', 'test']);
    expect(down.exitCode).toBe(3);
    expect(down.stdout).toMatch(/edm-sender\s+test\s+UNHEALTHY/);
    const up = await runway('dev-chen', ['health-check', '--service', 'edm-web', '--env', 'development']);
    expect(up.exitCode, up.stderr).toBe(0);
    expect(up.stdout).toMatch(/edm-web\s+development\s+healthy\s+✓ health/);
    const unknown = await runway('dev-chen', ['health-check', '--service', 'edm-nope']);
    expect(unknown.exitCode).toBe(1);
    expect(oneLineError(unknown)).toMatch(/^runway: no service edm-nope you can read \(known: edm-/);
  });

  it('shows the calendar and the delivery metrics, as text and as the API answers them with --json', async () => {
    const calendar = await runway('dev-chen', ['calendar', '--env', 'production', '--days', '3', '--json']);
    expect(calendar.exitCode, calendar.stderr).toBe(0);
    expect(JSON.parse(calendar.stdout)).toMatchObject({
      environment: 'production',
      timeZone: 'Asia/Shanghai',
    });
    const metrics = await runway('dev-chen', ['metrics', '--service', 'edm-web', '--json']);
    expect(metrics.exitCode, metrics.stderr).toBe(0);
    expect(
      (JSON.parse(metrics.stdout) as { metrics: { key: string }[] }).metrics.map((metric) => metric.key),
    ).toEqual([
      'deploymentFrequency',
      'successRate',
      'averageDeploymentTime',
      'rollbackRate',
      'changeFailureRate',
      'meanTimeToRestore',
      'leadTime',
    ]);
    const audit = await runway('admin-zhao', ['audit', '--since', '1h', '--limit', '5', '--json']);
    expect(audit.exitCode, audit.stderr).toBe(0);
    expect(JSON.parse(audit.stdout)).toMatchObject({ events: expect.any(Array) });
    const table = await runway('dev-chen', ['metrics']);
    expect(table.exitCode).toBe(0);
    expect(table.stdout).toMatch(/METRIC\s+VALUE\s+TARGET\s+MET\s+SAMPLE/);
    expect(table.stdout).toMatch(/Deployment success rate\s+\S+\s+> 95\.0 %/);
    expect(table.stdout).not.toContain(ESCAPE);
  });
});

describe('releases through the runway command', () => {
  let shipped: string;

  it('deploys, waits at the approval while two approvers approve with runway approve, and exits 0 once production serves it', async () => {
    const deploy = spawnRunway(
      [
        'deploy',
        '--service',
        'edm-web',
        '--env',
        'production',
        '--version',
        '1.1.0',
        '--change-ref',
        'CHG-7',
        '--yes',
      ],
      home.home,
      { env: envAs('ops-wang') },
    );
    let output = '';
    deploy.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    const printed = () => output;
    // The deploy watches meanwhile; should an approval go wrong, it is stopped with the test.
    try {
      // Each approval is given once the watch shows the gate waiting for it.
      await expect
        .poll(printed, { timeout: 30_000 })
        .toContain('change-approval waits for pm (pm-li), tech-lead (tl-zhang)');
      shipped = /started (\S+)/.exec(printed())?.[1] ?? '';
      expect((await getRelease(shipped)).status).toBe('awaiting-approval');

      const first = await runway('pm-li', ['approve', shipped, '--comment', 'scope agreed']);
      expect(first).toMatchObject({
        exitCode: 0,
        stdout: `approval counted for ${shipped}; still missing: tech-lead`,
      });
      const twice = await runway('pm-li', ['approve', shipped]);
      expect(twice.exitCode).toBe(1);
      expect(oneLineError(twice)).toBe(
        'runway: 409 Conflict: pm-li has already approved; one person counts once',
      );
      await expect
        .poll(printed, { timeout: 10_000 })
        .toContain('change-approval waits for tech-lead (tl-zhang); approved by pm-li (pm)');
      const second = await runway('tl-zhang', ['approve', shipped]);
      expect(second.exitCode, second.stderr).toBe(0);
    } catch (error) {
      deploy.kill();
      throw error;
    }

    const done = await deploy;
    expect(done.exitCode, String(done.stderr)).toBe(0);
    const out = String(done.stdout);
    expect(out).not.toContain(ESCAPE);
    expectInOrder(out, [
      'change-approval      production  approval  Change approval — pm + tech-lead',
      `started ${shipped}`,
      'deploy-test succeeded in',
      'change-approval waits for pm (pm-li), tech-lead (tl-zhang)',
      'change-approval waits for tech-lead (tl-zhang); approved by pm-li (pm)',
      'change-approval succeeded in',
      'bake-production baking 2.0s; rolls back if',
      'status succeeded',
      `edm-web 1.1.0 succeeded after`,
    ]);
    expect(await servedVersion('production')).toBe('1.1.0');

    const status = await runway('dev-chen', ['status', shipped, '--json']);
    expect(ReleaseSchema.parse(JSON.parse(status.stdout))).toMatchObject({
      id: shipped,
      status: 'succeeded',
    });
    const listed = await runway('dev-chen', [
      'list',
      '--service',
      'edm-web',
      '--status',
      'succeeded',
      '--json',
    ]);
    expect(ReleaseListSchema.parse(JSON.parse(listed.stdout)).releases.map((release) => release.id)).toEqual([
      shipped,
    ]);
  });

  it('rolls production back to the previous version with rollback --to previous (two people), then finds nothing left to undo', async () => {
    const order = ['rollback', '--service', 'edm-web', '--env', 'production', '--to', 'previous'];
    const first = await runway('ops-wang', [...order, '--reason', 'error rate up']);
    expect(first.exitCode, first.stderr).toBe(0);
    expectInOrder(first.stdout, [
      `rolling back ${shipped} (edm-web 1.1.0, succeeded)`,
      'a second person with deploy',
    ]);
    const second = await runway('oncall-zhou', [...order, '--reason', 'agreed', '--json']);
    expect(second.exitCode, second.stderr).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({ releaseId: shipped, accepted: true, missing: [] });

    const watched = await runway('dev-chen', ['watch', shipped, '--json']);
    expect(watched.exitCode).toBe(3);
    expect(ReleaseSchema.parse(JSON.parse(watched.stdout)).status).toBe('rolled-back');
    expect(await servedVersion('production')).toBe('1.0.0');

    const again = await runway('ops-wang', [...order, '--reason', 'once more']);
    expect(again.exitCode).toBe(1);
    expect(oneLineError(again)).toBe(
      `runway: no release of edm-web in production can be rolled back: the newest there, ${shipped}, is rolled-back`,
    );
  });

  it('exits 3 for a version that fails its checks on TEST', async () => {
    const run = await runway('ops-wang', [
      'deploy',
      '--service',
      'edm-web',
      '--version',
      '1.2.0+failing',
      '--yes',
    ]);
    expect(run.exitCode, run.stderr).toBe(3);
    expectInOrder(run.stdout, [
      'deploy-test failed in',
      'failed at deploy-test:',
      'status failed',
      'edm-web 1.2.0+failing failed after',
    ]);
  });

  it('stops watching at --timeout (exit 5), and exits 4 once runway reject ended the release', async () => {
    const started = await runway('ops-wang', [
      'deploy',
      '--service',
      'edm-web',
      '--version',
      '1.2.0',
      '--yes',
      '--no-watch',
      '--json',
    ]);
    expect(started.exitCode, started.stderr).toBe(0);
    const { id } = ReleaseSchema.parse(JSON.parse(started.stdout));

    const timedOut = await runway('dev-chen', ['watch', id, '--timeout', '3s']);
    expect(timedOut.exitCode).toBe(5);
    expect(oneLineError(timedOut)).toMatch(
      new RegExp(
        `^runway: ${id.replaceAll('.', '\\.')} is still (running|awaiting-approval) after 3\\.0s: stopped watching; the release keeps running$`,
      ),
    );
    await waitForStatus(id, ['awaiting-approval']);

    // --to previous undoes the latest release that changed production, never one still on its way there.
    const previous = await runway('ops-wang', [
      'rollback',
      '--service',
      'edm-web',
      '--to',
      'previous',
      '--reason',
      'error rate up',
    ]);
    expect(previous.exitCode).toBe(1);
    expect(oneLineError(previous)).toBe(
      `runway: the newest release of edm-web, ${id}, is awaiting-approval and has not changed production: to undo it, runway rollback ${id} --reason "…"`,
    );
    expect((await getRelease(id)).status).toBe('awaiting-approval');

    const rejected = await runway('pm-li', ['reject', id, '--reason', 'legal hold']);
    expect(rejected.exitCode, rejected.stderr).toBe(0);
    const watched = await runway('dev-chen', ['watch', id]);
    expect(watched.exitCode).toBe(4);
    expectInOrder(watched.stdout, [
      'stopped at change-approval: rejected by pm-li: legal hold',
      'status rejected',
    ]);
    expect((await getRelease(id)).status).toBe('rejected');

    const late = await runway('tl-zhang', ['approve', id]);
    expect(late.exitCode).toBe(1);
    expect(oneLineError(late)).toBe(`runway: 409 Conflict: release ${id} has ended (rejected)`);
  });

  it('leaves a release running when Ctrl-C stops the watch (exit 130); runway abort ends it cancelled (exit 4)', async () => {
    const started = await runway('ops-wang', [
      'deploy',
      '--service',
      'edm-web',
      '--version',
      '1.3.0',
      '--yes',
      '--no-watch',
    ]);
    expect(started.exitCode, started.stderr).toBe(0);
    const id = /started (\S+)/.exec(started.stdout)?.[1] ?? '';
    expect(started.stdout).toContain(`follow it with: runway watch ${id}`);

    const watch = spawnRunway(['watch', id], home.home, { env: envAs('dev-chen') });
    let output = '';
    watch.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    await expect.poll(() => output, { timeout: 15_000 }).toContain('status ');
    watch.kill('SIGINT');
    const interrupted = await watch;
    expect(interrupted.exitCode).toBe(130);
    expect(String(interrupted.stderr)).toBe(
      `runway: stopped watching; ${id} keeps running (runway watch ${id} follows it again)`,
    );
    expect(['running', 'awaiting-approval']).toContain((await getRelease(id)).status);

    const abort = await runway('ops-wang', ['abort', id, '--reason', 'wrong build']);
    expect(abort.exitCode, abort.stderr).toBe(0);
    const watched = await runway('dev-chen', ['watch', id, '--json']);
    expect(watched.exitCode).toBe(4);
    expect(ReleaseSchema.parse(JSON.parse(watched.stdout)).status).toBe('cancelled');
  });
});
