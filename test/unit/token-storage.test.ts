// R-AUTH / R-SECRETS: an identity's token is named by an environment variable or held as its SHA-256
// digest in runway.yml, never in clear; bearer auth accepts either, and refuses a digest that would
// make one token name two identities.
import { createHash } from 'node:crypto';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppEnv } from '../../api/app-env.js';
import { bearerAuth } from '../../api/middleware/bearer-auth.js';
import { identityDigests, tokensFromEnvironment } from '../../api/principal.js';
import { ConfigError } from '../../config/config-error.js';
import type { RunwayConfig } from '../../config/config-schema.js';
import { DEFAULT_CONFIG_DIR, loadConfig } from '../../config/load-config.js';

const HASHED_TOKEN = 'rw_hashed-token-of-admin-qian-0123';
const ENV_TOKEN = 'rw_env-token-of-ops-wang-456789ab';
const hex = (token: string) => createHash('sha256').update(token).digest('hex');

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'runway-tokens-'));
  await cp(DEFAULT_CONFIG_DIR, dir, { recursive: true, filter: (source) => !source.endsWith('.ts') });
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The shipped configuration with runway.yml changed by `change`. */
async function configWith(change: (text: string) => string): Promise<RunwayConfig> {
  const file = join(dir, 'runway.yml');
  const shipped = await readFile(join(DEFAULT_CONFIG_DIR, 'runway.yml'), 'utf8');
  await writeFile(file, change(shipped));
  return loadConfig(dir);
}

const hashing = (identity: string, digest: string) => (text: string) =>
  text.replace(new RegExp(`tokenEnv: RUNWAY_TOKEN_${identity}\\b`), `tokenSha256: ${digest}`);

async function configError(change: (text: string) => string): Promise<ConfigError> {
  const error = await configWith(change).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ConfigError);
  return error as ConfigError;
}

function appWith(config: RunwayConfig, tokens: Map<string, string>) {
  const app = new Hono<AppEnv>();
  app.use('*', bearerAuth({ tokens, config }));
  app.get('/who', (c) => c.text(c.get('principal').name));
  return app;
}

const who = (app: Hono<AppEnv>, token: string) =>
  app.request('/who', { headers: { Authorization: `Bearer ${token}` } });

describe('tokens in the configuration', () => {
  it('accepts a digest (in either case) in place of a variable name', async () => {
    const config = await configWith(hashing('ADMIN_QIAN', hex(HASHED_TOKEN).toUpperCase()));
    const identity = config.settings.identities.find((entry) => entry.name === 'admin-qian');
    expect(identity).toEqual({ name: 'admin-qian', tokenSha256: hex(HASHED_TOKEN) });
  });

  it('refuses an identity with both a variable and a digest, or with neither', async () => {
    const both = await configError((text) =>
      text.replace(
        'tokenEnv: RUNWAY_TOKEN_QA_SUN',
        `tokenEnv: RUNWAY_TOKEN_QA_SUN\n    tokenSha256: ${hex('x')}`,
      ),
    );
    expect(both.problems[0]?.message).toMatch(/exactly one of tokenEnv .* or tokenSha256/);
    const neither = await configError((text) => text.replace('    tokenEnv: RUNWAY_TOKEN_QA_SUN\n', ''));
    expect(neither.problems[0]?.message).toMatch(/exactly one of tokenEnv/);
  });

  it('refuses a token pasted where its digest belongs, without repeating it', async () => {
    const error = await configError(hashing('QA_SUN', HASHED_TOKEN));
    expect(error.problems[0]).toMatchObject({ path: 'identities.5.tokenSha256' });
    expect(error.message).not.toContain(HASHED_TOKEN);
    expect(JSON.stringify(error.problems)).not.toContain(HASHED_TOKEN);
  });

  it('refuses one digest for two identities', async () => {
    const digest = hex(HASHED_TOKEN);
    const error = await configError((text) => hashing('QA_SUN', digest)(hashing('ADMIN_QIAN', digest)(text)));
    expect(error.message).toMatch(/two identities have the same tokenSha256/);
  });
});

describe('bearer auth over both kinds of token', () => {
  let config: RunwayConfig;
  let app: Hono<AppEnv>;

  beforeAll(async () => {
    config = await configWith(hashing('ADMIN_QIAN', hex(HASHED_TOKEN)));
    const tokens = tokensFromEnvironment(config, { RUNWAY_TOKEN_OPS_WANG: ENV_TOKEN });
    app = appWith(config, tokens);
  });

  it('knows the identity whose digest is configured by its token', async () => {
    const response = await who(app, HASHED_TOKEN);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('admin-qian');
  });

  it('still knows identities whose token is in the environment', async () => {
    expect(await (await who(app, ENV_TOKEN)).text()).toBe('ops-wang');
  });

  it('refuses the digest itself offered as a token, and a near miss', async () => {
    expect((await who(app, hex(HASHED_TOKEN))).status).toBe(401);
    expect((await who(app, `${HASHED_TOKEN.slice(0, -1)}x`)).status).toBe(401);
  });

  it('refuses to start when an environment token has the digest configured for another identity', () => {
    const tokens = new Map([[HASHED_TOKEN, 'ops-wang']]);
    expect(() => identityDigests(config, tokens)).toThrow(
      "the tokenSha256 of admin-qian is the digest of ops-wang's token",
    );
    expect(() => appWith(config, tokens)).toThrow(/admin-qian/);
  });

  it('reads no variable for an identity configured by its digest', () => {
    const tokens = tokensFromEnvironment(config, { RUNWAY_TOKEN_ADMIN_QIAN: 'rw_would-be-ignored-000000' });
    expect([...tokens.values()]).not.toContain('admin-qian');
  });
});
