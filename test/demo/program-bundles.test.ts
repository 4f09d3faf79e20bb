// The demo's tools and servers run from bundles (demo/program-bundles.ts). Test files start demo
// targets side by side, each bundling as it starts: a bundle must never be seen half-written, and
// every bundle must run on plain node with the packages it carries.
import { readdir } from 'node:fs/promises';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { bundleDemoPrograms, demoBundlesDir, demoProgramPaths } from '../../demo/program-bundles.js';
import { REPO_ROOT } from './support.js';

const run = (bundle: string, args: string[], env: Record<string, string> = {}) =>
  execa(process.execPath, [bundle, ...args], { cwd: REPO_ROOT, reject: false, env });

describe('the demo programs, bundled', () => {
  it('run on plain node while other bundlings replace them', async () => {
    await bundleDemoPrograms();
    const ctl = demoProgramPaths('edm-ctl').bundle;
    const rebundling = Promise.all([bundleDemoPrograms(), bundleDemoPrograms(), bundleDemoPrograms()]);
    // Asked over and over while the files are replaced: every run loads a whole bundle.
    const answers = [];
    for (let attempt = 0; attempt < 5; attempt++) answers.push(await run(ctl, ['--help']));
    await rebundling;
    for (const answer of answers) expect(answer.stdout).toContain('usage');
    // Beside the staging folders of demo targets starting in other test files, only whole bundles.
    const bundles = (await readdir(demoBundlesDir())).filter((name) => !name.startsWith('.'));
    expect(bundles.sort()).toEqual(
      ['edm-checks', 'edm-ctl', 'edm-db', 'edm-sender-server', 'edm-web-server'].map((name) => `${name}.mjs`),
    );
  });

  it('carry their packages: the database tool reaches pg, the servers start and answer', async () => {
    const db = await run(demoProgramPaths('edm-db').bundle, ['status'], {
      DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none',
    });
    // pg itself answers: the connection is refused, not a module missing.
    expect(db.exitCode).not.toBe(0);
    expect(db.stderr).toContain('ECONNREFUSED');
    for (const program of ['edm-web-server', 'edm-sender-server'] as const) {
      const usage = await run(demoProgramPaths(program).bundle, []);
      expect(usage.exitCode).not.toBe(0);
      expect(usage.stderr).toContain('usage: server.ts');
    }
  });
});
