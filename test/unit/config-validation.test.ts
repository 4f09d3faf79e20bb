// Bad configuration and runbook files fail with the file, the path inside it and what was expected.
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../config/config-error.js';
import { DEFAULT_CONFIG_DIR, loadConfig } from '../../config/load-config.js';
import { checkRunbooks, DEFAULT_RUNBOOK_DIR, loadRunbook } from '../../runbooks/load-runbook.js';
import { PlanError, resolveReleasePlan } from '../../runbooks/resolve-release-plan.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'runway-config-'));
  await cp(DEFAULT_CONFIG_DIR, join(dir, 'config'), {
    recursive: true,
    filter: (source) => !source.endsWith('.ts'),
  });
  await cp(DEFAULT_RUNBOOK_DIR, join(dir, 'runbooks'), {
    recursive: true,
    filter: (source) => !source.endsWith('.ts'),
  });
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function edit(relative: string, change: (text: string) => string): Promise<string> {
  const file = join(dir, relative);
  await writeFile(file, change(await readFile(file, 'utf8')));
  return file;
}

async function configError(load: () => Promise<unknown>): Promise<ConfigError> {
  const error = await load().then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ConfigError);
  return error as ConfigError;
}

describe('configuration', () => {
  it('loads the shipped configuration and runbook', async () => {
    const config = await loadConfig(join(dir, 'config'));
    expect(Object.keys(config.environments).sort()).toEqual(['development', 'production', 'staging', 'test']);
    expect(config.services['edm-web']?.deploy.strategy).toBe('blue-green');
    const runbook = await loadRunbook('regular', join(dir, 'runbooks'));
    expect(runbook.steps.map((step) => step.kind)).toContain('approval');
  });

  it('names the file, the path and the expectation for a bad value', async () => {
    const file = await edit('config/environments/staging.yml', (text) =>
      text.replace('url: http://127.0.0.1:4120', 'url: not-a-url'),
    );
    const error = await configError(() => loadConfig(join(dir, 'config')));
    expect(error.file).toBe(file);
    expect(error.problems[0]?.path).toBe('services.edm-web.url');
    expect(error.message).toContain('staging.yml');
  });

  it('rejects unknown keys, unknown roles and grants to undeclared identities', async () => {
    await edit('config/environments/production.yml', (text) =>
      text.replace('pm-li: [read, pm]', 'pm-li: [read, pm, superuser]'),
    );
    const roles = await configError(() => loadConfig(join(dir, 'config')));
    expect(roles.problems[0]?.path).toBe('grants.pm-li.2');

    await edit('config/environments/production.yml', (text) =>
      text.replace('superuser', 'pm').replace('grants:', 'grants:\n  ghost: [read]'),
    );
    const ghost = await configError(() => loadConfig(join(dir, 'config')));
    expect(ghost.problems).toEqual([
      { path: 'grants.ghost', message: 'expected an identity declared in runway.yml' },
    ]);

    await edit('config/runway.yml', (text) => `${text}\nsurprise: true\n`);
    const extra = await configError(() => loadConfig(join(dir, 'config')));
    expect(extra.message).toMatch(/surprise/);
  });

  it('refuses a literal secret where a variable name belongs', async () => {
    await edit('config/runway.yml', (text) =>
      text.replace('tokenEnv: RUNWAY_TOKEN_PM_LI', 'tokenEnv: s3cr3t-token-value'),
    );
    const error = await configError(() => loadConfig(join(dir, 'config')));
    expect(error.problems[0]).toMatchObject({ path: 'identities.1.tokenEnv' });
  });

  it('requires a retire action, the undo of a first-ever deploy', async () => {
    const file = await edit('config/services/edm-web.yml', (text) =>
      text.replace('      retire:', '      retired:'),
    );
    const error = await configError(() => loadConfig(join(dir, 'config')));
    expect(error.file).toBe(file);
    expect(error.problems.map((problem) => problem.path)).toEqual(
      expect.arrayContaining(['deploy.driver.actions.retire']),
    );
  });

  it('requires {expectedActive} in deploy, switch and retire, so the target can refuse a changed state', async () => {
    const file = await edit('config/services/edm-web.yml', (text) =>
      text.replace(
        '"{version}",\n            --expect-active,\n            "{expectedActive}",',
        '"{version}",',
      ),
    );
    const error = await configError(() => loadConfig(join(dir, 'config')));
    expect(error.file).toBe(file);
    expect(error.problems).toEqual([
      {
        path: 'deploy.driver.actions.deploy.argv',
        message:
          'expected the {expectedActive} placeholder, so the target can refuse to act when traffic is not where the release expects it',
      },
    ]);
  });

  it('requires {expectedVersion} in a rolling update and a batch size of at least 1', async () => {
    const file = await edit('config/services/edm-sender.yml', (text) =>
      text
        .replace('            --expect-version,\n            "{expectedVersion}",\n', '')
        .replace('batchSize: 2', 'batchSize: 0'),
    );
    const error = await configError(() => loadConfig(join(dir, 'config')));
    expect(error.file).toBe(file);
    expect(error.problems).toEqual([
      expect.objectContaining({ path: 'deploy.batchSize' }),
      {
        path: 'deploy.driver.actions.update.argv',
        message:
          'expected the {expectedVersion} placeholder, so the target can refuse to update an instance that does not run the version the release expects',
      },
    ]);
  });

  it('refuses blue-green actions under a rolling strategy', async () => {
    await edit('config/services/edm-sender.yml', (text) =>
      text.replace('      instances:', '      inspect:'),
    );
    const error = await configError(() => loadConfig(join(dir, 'config')));
    expect(error.problems.map((problem) => problem.path)).toEqual(
      expect.arrayContaining(['deploy.driver.actions.instances', 'deploy.driver.actions']),
    );
  });

  it('reports YAML syntax errors with the file', async () => {
    const file = await edit('config/services/edm-web.yml', (text) => `${text}\n  bad: [unclosed\n`);
    const error = await configError(() => loadConfig(join(dir, 'config')));
    expect(error.file).toBe(file);
    expect(error.message).toMatch(/not valid YAML/);
  });
});

describe('runbooks', () => {
  it('plans a rolling deploy for edm-sender, leaving the per-instance values as placeholders', async () => {
    const config = await loadConfig(join(dir, 'config'));
    const runbook = await loadRunbook('regular', join(dir, 'runbooks'));
    const plan = resolveReleasePlan({ runbook, config, service: 'edm-sender', version: '2.0.0' });
    const deploy = plan.steps.find((step) => step.kind === 'deploy' && step.environment === 'staging');
    if (deploy?.kind !== 'deploy' || deploy.strategy !== 'rolling')
      throw new Error('expected a rolling deploy');
    expect(deploy.batchSize).toBe(2);
    expect(deploy.driver.actions.instances.argv).toEqual(
      expect.arrayContaining(['instances', 'http://127.0.0.1:4100', 'staging']),
    );
    // The undo of an update puts the previous version back with the same command: {version} too.
    expect(deploy.driver.actions.update.argv).toEqual(
      expect.arrayContaining(['staging', '{instance}', '{version}', '{expectedVersion}', '{idempotencyKey}']),
    );
    expect(deploy.driver.actions.check.argv).toEqual(expect.arrayContaining(['{instance}', '{version}']));
  });

  it('rejects an unknown step kind and a duplicated step id', async () => {
    await edit('runbooks/regular.yml', (text) =>
      text.replace('kind: verify\n    environment: staging', 'kind: pray\n    environment: staging'),
    );
    const kind = await configError(() => loadRunbook('regular', join(dir, 'runbooks')));
    expect(kind.problems[0]?.path).toBe('steps.13.kind');

    await edit('runbooks/regular.yml', (text) =>
      text.replace('kind: pray', 'kind: verify').replace('id: deploy-staging', 'id: deploy-test'),
    );
    const duplicate = await configError(() => loadRunbook('regular', join(dir, 'runbooks')));
    expect(duplicate.problems[0]).toEqual({
      path: 'steps.12.id',
      message: 'step id "deploy-test" is used twice',
    });
  });

  it('keeps a runbook while its file stays the same, frozen, and reads an edit at the next start', async () => {
    const folder = join(dir, 'runbooks');
    const first = await loadRunbook('regular', folder);
    expect(await loadRunbook('regular', folder)).toBe(first);
    expect(Object.isFrozen(first.steps[0])).toBe(true);
    await edit('runbooks/regular.yml', (text) =>
      text.replace('name: Deploy to TEST', 'name: Deploy to the TEST bed'),
    );
    const edited = await loadRunbook('regular', folder);
    expect(edited).not.toBe(first);
    expect(edited.steps.map((step) => step.name)).toContain('Deploy to the TEST bed');
    await rm(join(folder, 'regular.yml'));
    await expect(loadRunbook('regular', folder)).rejects.toThrow('no runbook for release type regular');
  });

  it('checks every runbook against the configuration at start', async () => {
    const config = await loadConfig(join(dir, 'config'));
    expect(await checkRunbooks(config, join(dir, 'runbooks'))).toEqual([
      'regular',
      'hotfix',
      'emergency',
      'config-change',
    ]);
    await edit('runbooks/regular.yml', (text) =>
      text.replace('environment: staging', 'environment: stagging'),
    );
    const error = await configError(() => checkRunbooks(config, join(dir, 'runbooks')));
    expect(error.problems[0]?.path).toBe('steps.11.environment');
  });

  it('refuses to plan a service that an environment of the runbook does not run', async () => {
    const config = await loadConfig(join(dir, 'config'));
    const runbook = await loadRunbook('regular', join(dir, 'runbooks'));
    expect(() => resolveReleasePlan({ runbook, config, service: 'billing', version: '1.0.0' })).toThrow(
      PlanError,
    );
    const plan = resolveReleasePlan({ runbook, config, service: 'edm-web', version: '2.0.0' });
    const deploy = plan.steps.find((step) => step.kind === 'deploy' && step.environment === 'production');
    if (deploy?.kind !== 'deploy' || deploy.strategy !== 'blue-green')
      throw new Error('expected a blue-green deploy');
    expect(deploy.driver.actions.deploy.argv).toContain('2.0.0');
    expect(deploy.driver.actions.deploy.argv).toContain('{colour}');
    // Only the deploy knows which colour it saw active, so retire (its undo) keeps both placeholders too.
    expect(deploy.driver.actions.retire.argv).toEqual(
      expect.arrayContaining(['--env', 'production', '{colour}', '{expectedActive}']),
    );
  });
});
