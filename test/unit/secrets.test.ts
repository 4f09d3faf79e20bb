// R-SECRETS: credentials are named per environment, come from the environment or a secrets file
// outside the repository, and never reach a log line.
import { chmod, cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../config/config-error.js';
import { DEFAULT_CONFIG_DIR, loadConfig } from '../../config/load-config.js';
import { loadSecretsFile, SECRETS_FILE_ENV } from '../../config/secrets-file.js';
import { createLogger } from '../../logging/logger.js';
import { registerSecret } from '../../logging/secret-values.js';
import { loadRunbook } from '../../runbooks/load-runbook.js';
import { resolveReleasePlan } from '../../runbooks/resolve-release-plan.js';
import { projectRoot } from '../../stack/temporal-binaries.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'runway-secrets-'));
  await cp(DEFAULT_CONFIG_DIR, join(dir, 'config'), { recursive: true, filter: (f) => !f.endsWith('.ts') });
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function withIntegrationSecret(source: string): Promise<void> {
  const file = join(dir, 'config/services/edm-web.yml');
  const text = await readFile(file, 'utf8');
  await writeFile(
    file,
    text.replace(
      '    timeoutSeconds: 300\n',
      `    timeoutSeconds: 300\n    envFrom: { SUITE_TOKEN: "${source}" }\n`,
    ),
  );
}

describe('per-environment credentials', () => {
  it('resolves each environment to its own variable', async () => {
    await withIntegrationSecret('EDM_WEB_{ENVIRONMENT}_SUITE_TOKEN');
    const config = await loadConfig(join(dir, 'config'));
    const plan = resolveReleasePlan({
      runbook: await loadRunbook('regular'),
      config,
      service: 'edm-web',
      version: '2.0.0',
    });
    const sources = plan.steps.flatMap((step) =>
      step.kind === 'command' && step.id === 'integration-tests'
        ? [[step.environment, step.command.envFrom.SUITE_TOKEN]]
        : [],
    );
    expect(sources.length).toBeGreaterThan(0);
    for (const [environment, source] of sources) {
      expect(source).toBe(`EDM_WEB_${environment?.toUpperCase()}_SUITE_TOKEN`);
    }
  });

  it('refuses to hand a command any of Runway’s own variables: RUNWAY_*, and what runway.yml names for itself', async () => {
    for (const source of ['RUNWAY_{ENVIRONMENT}_DECISION_KEYS', 'RUNWAY_DECISION_KEYS{ENVIRONMENT}']) {
      await cp(DEFAULT_CONFIG_DIR, join(dir, 'config'), {
        recursive: true,
        filter: (f) => !f.endsWith('.ts'),
      });
      await withIntegrationSecret(source);
      const error = await loadConfig(join(dir, 'config')).catch((caught: unknown) => caught);
      expect(error, source).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).problems[0]).toMatchObject({
        path: 'commands.integration-tests.envFrom.SUITE_TOKEN',
        message: expect.stringMatching(/is one of Runway's own variables/),
      });
    }
    // A database URL variable runway.yml names for Runway itself, outside the RUNWAY_ prefix.
    await cp(DEFAULT_CONFIG_DIR, join(dir, 'config'), { recursive: true, filter: (f) => !f.endsWith('.ts') });
    const settingsFile = join(dir, 'config/runway.yml');
    const settings = await readFile(settingsFile, 'utf8');
    await writeFile(
      settingsFile,
      settings.replace('urlEnv: RUNWAY_DATABASE_URL', 'urlEnv: OPS_TEST_DATABASE_URL'),
    );
    await withIntegrationSecret('OPS_{ENVIRONMENT}_DATABASE_URL');
    const error = await loadConfig(join(dir, 'config')).catch((caught: unknown) => caught);
    expect((error as ConfigError).problems[0]?.message).toMatch(
      /OPS_TEST_DATABASE_URL \(test\) is one of Runway's own/,
    );
  });

  it('refuses one variable shared by every environment', async () => {
    await withIntegrationSecret('EDM_WEB_SUITE_TOKEN');
    const error = await loadConfig(join(dir, 'config')).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems[0]).toMatchObject({
      path: 'commands.integration-tests.envFrom.SUITE_TOKEN',
      message: expect.stringContaining('{ENVIRONMENT}'),
    });
  });
});

describe('secrets file', () => {
  it('fills unset variables from a private file outside the repository', async () => {
    const file = join(dir, 'secrets.env');
    await writeFile(
      file,
      '# deploy credentials\nexport RUNWAY_DATABASE_URL="postgres://app:pw@db/runway"\nKEPT=file\n\n',
    );
    await chmod(file, 0o600);
    const env: NodeJS.ProcessEnv = { [SECRETS_FILE_ENV]: file, KEPT: 'environment' };
    expect(loadSecretsFile(projectRoot, env)).toEqual(['RUNWAY_DATABASE_URL']);
    expect(env.RUNWAY_DATABASE_URL).toBe('postgres://app:pw@db/runway');
    expect(env.KEPT).toBe('environment');
  });

  it('refuses a file others can read, one inside the repository, and a bad line without quoting it', async () => {
    const file = join(dir, 'secrets.env');
    await writeFile(file, 'TOKEN=value\n');
    await chmod(file, 0o644);
    expect(() => loadSecretsFile(projectRoot, { [SECRETS_FILE_ENV]: file })).toThrow(/chmod 600/);

    const inRepo = join(projectRoot, 'package.json');
    expect(() => loadSecretsFile(projectRoot, { [SECRETS_FILE_ENV]: inRepo })).toThrow(/inside the project/);
    // A name starting with two dots is still inside.
    const dotted = join(dir, 'repo');
    await mkdir(dotted);
    await writeFile(join(dotted, '..secrets.env'), 'TOKEN=value\n', { mode: 0o600 });
    expect(() => loadSecretsFile(dotted, { [SECRETS_FILE_ENV]: join(dotted, '..secrets.env') })).toThrow(
      /inside the project/,
    );

    await writeFile(file, 'TOKEN=fine\nnot a pair hunter2\n');
    await chmod(file, 0o600);
    const bad = () => loadSecretsFile(projectRoot, { [SECRETS_FILE_ENV]: file });
    expect(bad).toThrow(/secrets.env:2: expected NAME=value/);
    expect(bad).not.toThrow(/hunter2/);
  });
});

describe('log redaction', () => {
  it('never writes tokens, authorization headers, passwords or connection strings', () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const logger = createLogger('redaction-test', { destination });
    const secret = 'rw_secret_value_0123456789';
    registerSecret(secret);
    logger.info({ token: secret, authorization: `Bearer ${secret}` }, 'top level');
    logger.info({ req: { headers: { authorization: `Bearer ${secret}`, cookie: secret } } }, 'headers');
    logger.info({ db: { connectionString: `postgres://u:${secret}@h/d`, password: secret } }, 'nested');
    logger.info({ env: { RUNWAY_TOKEN_OPS_WANG: secret, RUNWAY_PAYLOAD_KEYS: secret } }, 'environment');
    logger.warn(`a message quoting ${secret} in its text`);
    logger.error({ err: new Error(`failed with ${secret}`) }, 'error');
    expect(lines).toHaveLength(6);
    for (const line of lines) expect(line).not.toContain(secret);
  });
});
