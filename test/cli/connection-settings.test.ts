// Where the runway command finds its server and token, the profile file it keeps, and the start
// bodies deploy builds: pure pieces, no server.
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBody } from '../../cli/commands/deploy-command.js';
import { NO_SERVER, NO_TOKEN, normaliseServerUrl, resolveConnection } from '../../cli/connection-settings.js';
import { profilePath, readProfile, writeProfile } from '../../cli/profile-file.js';

const files: Record<string, string> = {
  '/flag.token': 'flag-token\n',
  '/env.token': ' env-file-token \n',
  '/empty.token': '\n',
};
const readFake = (path: string) => {
  const text = files[path];
  if (text === undefined)
    throw Object.assign(new Error(`ENOENT: no such file, open '${path}'`), { code: 'ENOENT' });
  return text;
};
const profile = { url: 'https://runway.example.com/', token: 'profile-token', caFile: '/ca.pem' };

describe('resolving the server and the token (flags, then environment, then profile)', () => {
  it('takes the flags first', () => {
    const env = { RUNWAY_URL: 'http://env:3001', RUNWAY_TOKEN: 'env-token', RUNWAY_CA_FILE: '/env-ca.pem' };
    expect(
      resolveConnection(
        { url: 'http://flag:3001', tokenFile: '/flag.token', caFile: '/flag-ca.pem' },
        env,
        profile,
        readFake,
      ),
    ).toEqual({ url: 'http://flag:3001', token: 'flag-token', caFile: '/flag-ca.pem' });
  });

  it('then the environment: RUNWAY_TOKEN before RUNWAY_TOKEN_FILE', () => {
    expect(
      resolveConnection(
        {},
        { RUNWAY_URL: 'http://env:3001', RUNWAY_TOKEN: 'env-token', RUNWAY_TOKEN_FILE: '/env.token' },
        profile,
        readFake,
      ),
    ).toEqual({
      url: 'http://env:3001',
      token: 'env-token',
    });
    expect(
      resolveConnection(
        {},
        { RUNWAY_URL: 'http://env:3001', RUNWAY_TOKEN_FILE: '/env.token' },
        undefined,
        readFake,
      ),
    ).toEqual({
      url: 'http://env:3001',
      token: 'env-file-token',
    });
  });

  it('then the profile, whose token and CA go only to its own server', () => {
    expect(resolveConnection({}, {}, profile, readFake)).toEqual({
      url: 'https://runway.example.com',
      token: 'profile-token',
      caFile: '/ca.pem',
    });
    expect(resolveConnection({ url: 'https://runway.example.com/api/v1' }, {}, profile, readFake).token).toBe(
      'profile-token',
    );
    expect(() => resolveConnection({ url: 'https://elsewhere.example.com' }, {}, profile, readFake)).toThrow(
      "the profile's token is for https://runway.example.com, not https://elsewhere.example.com",
    );
    // A token from the environment may go anywhere the caller says.
    expect(resolveConnection({ url: 'http://other:1' }, { RUNWAY_TOKEN: 't' }, profile, readFake)).toEqual({
      url: 'http://other:1',
      token: 't',
    });
  });

  it('says what is missing, and never echoes a token file argument that cannot be read', () => {
    expect(() => resolveConnection({}, {}, undefined, readFake)).toThrow(NO_SERVER);
    expect(() => resolveConnection({ url: 'http://a:1' }, {}, undefined, readFake)).toThrow(NO_TOKEN);
    expect(() =>
      resolveConnection({ url: 'http://a:1' }, { RUNWAY_TOKEN: '   ' }, undefined, readFake),
    ).toThrow(NO_TOKEN);
    expect(() =>
      resolveConnection(
        { url: 'http://a:1', tokenFile: 'rw_secret_given_by_mistake' },
        {},
        undefined,
        readFake,
      ),
    ).toThrow(/^cannot read the token file given by --token-file: ENOENT$/);
    expect(() =>
      resolveConnection({ url: 'http://a:1', tokenFile: '/empty.token' }, {}, undefined, readFake),
    ).toThrow('the token file given by --token-file is empty');
  });

  it('takes the root URL with or without /api/v1, http or https only, without credentials', () => {
    expect(normaliseServerUrl('http://localhost:3001/')).toBe('http://localhost:3001');
    expect(normaliseServerUrl(' https://ops.example.com/runway/api/v1/ ')).toBe(
      'https://ops.example.com/runway',
    );
    expect(() => normaliseServerUrl('localhost:3001')).toThrow('expected an http or https URL');
    expect(() => normaliseServerUrl('not a url')).toThrow("expected the server's URL");
    expect(() => normaliseServerUrl('https://me:secret@ops.example.com')).toThrow(
      'must not carry a user or password',
    );
  });
});

describe('the profile file', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'runway-profile-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('lives at $RUNWAY_PROFILE, else under $XDG_CONFIG_HOME or ~/.config', () => {
    expect(profilePath({ RUNWAY_PROFILE: '/p.json', XDG_CONFIG_HOME: '/x' })).toBe('/p.json');
    expect(profilePath({ XDG_CONFIG_HOME: '/x' })).toBe('/x/runway/profile.json');
    expect(profilePath({})).toMatch(/\.config\/runway\/profile\.json$/);
  });

  it('is written with mode 600 in a folder it creates with mode 700, whatever the umask, and read back', async () => {
    const path = join(dir, 'nested', 'profile.json');
    const umask = process.umask(0);
    try {
      writeProfile(path, { url: 'http://localhost:3001', token: 'rw_token_0123456789' });
    } finally {
      process.umask(umask);
    }
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'nested'))).mode & 0o777).toBe(0o700);
    expect(readProfile(path)).toEqual({ url: 'http://localhost:3001', token: 'rw_token_0123456789' });
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({
      url: 'http://localhost:3001',
      token: 'rw_token_0123456789',
    });
  });

  it('is written through a new file of a name nobody can guess, never through one planted beside it', async () => {
    const folder = join(dir, 'planted');
    await mkdir(folder, { mode: 0o700 });
    const path = join(folder, 'profile.json');
    // Someone who guessed the temporary name links it to a file of the victim's.
    const victim = join(dir, 'victim.txt');
    await writeFile(victim, 'untouched\n');
    await symlink(victim, `${path}.${process.pid}.tmp`);
    writeProfile(path, { url: 'http://localhost:3001', token: 'rw_token_0123456789' });
    expect(await readFile(victim, 'utf8')).toBe('untouched\n');
    expect(readProfile(path)?.token).toBe('rw_token_0123456789');
    expect((await readdir(folder)).sort()).toEqual(['profile.json', `profile.json.${process.pid}.tmp`]);
  });

  it('is refused in a folder others may write to, and kept in an existing folder others may only read', async () => {
    const shared = join(dir, 'shared');
    await mkdir(shared);
    await chmod(shared, 0o775);
    const path = join(shared, 'profile.json');
    expect(() => writeProfile(path, { url: 'http://a:1', token: 't' })).toThrow(
      `the profile's folder ${shared} may be written by others (mode 775): chmod go-w ${shared}`,
    );
    expect(await readdir(shared)).toEqual([]);

    const readable = join(dir, 'readable');
    await mkdir(readable);
    await chmod(readable, 0o755);
    writeProfile(join(readable, 'profile.json'), { url: 'http://a:1', token: 't' });
    // An existing folder keeps its mode: only one the command creates is made 700.
    expect((await stat(readable)).mode & 0o777).toBe(0o755);
    expect((await stat(join(readable, 'profile.json'))).mode & 0o777).toBe(0o600);
  });

  it('is refused when others may read it, or when it is not a profile; a missing one is no profile', async () => {
    expect(readProfile(join(dir, 'none.json'))).toBeUndefined();
    const open = join(dir, 'open.json');
    await writeFile(open, JSON.stringify({ url: 'http://a:1', token: 't' }), { mode: 0o644 });
    expect(() => readProfile(open)).toThrow(/others may read it \(mode 644\): chmod 600/);
    const broken = join(dir, 'broken.json');
    await writeFile(broken, '{', { mode: 0o600 });
    expect(() => readProfile(broken)).toThrow('is not JSON');
    const partial = join(dir, 'partial.json');
    await writeFile(partial, JSON.stringify({ url: 'http://a:1' }), { mode: 0o600 });
    expect(() => readProfile(partial)).toThrow('lacks url or token');
  });
});

describe('the start body runway deploy sends', () => {
  const base = { service: 'edm-web', watch: true };

  it('ships a version for regular, hotfix and emergency', () => {
    expect(startBody({ ...base, type: 'hotfix', version: '1.0.1', changeRef: 'CHG-1' })).toEqual({
      type: 'hotfix',
      service: 'edm-web',
      version: '1.0.1',
      changeRef: 'CHG-1',
    });
    expect(() => startBody({ ...base, type: 'regular' })).toThrow('a regular release needs --version');
    expect(() => startBody({ ...base, type: 'regular', version: '1.1.0', reason: 'x' })).toThrow(
      '--reason: only a config-change takes them',
    );
  });

  it('applies a configuration bundle with its reason, impact and rollback plan for a config-change', () => {
    const change = {
      configRevision: 'send-rate-1200',
      reason: 'faster',
      impact: 'mail',
      rollbackPlan: 'previous',
    };
    expect(startBody({ ...base, type: 'config-change', ...change })).toEqual({
      type: 'config-change',
      service: 'edm-web',
      ...change,
    });
    expect(() => startBody({ ...base, type: 'config-change', configRevision: 'send-rate-1200' })).toThrow(
      'a config-change needs --reason, --impact, --rollback-plan',
    );
    expect(() => startBody({ ...base, type: 'config-change', version: '1.0.0', ...change })).toThrow(
      'ships no version',
    );
  });
});
