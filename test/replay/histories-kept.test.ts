// Recorded histories are kept for ever: releases wait at gates for days across upgrades, so a history
// recorded once is a promise to every release that ran the same code. This fails when a file under
// test/replay/histories is deleted or changed after it first landed (from the commit below on,
// when the rule was set), judged from git history and the working tree alike.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../stack/temporal-binaries.js';

/** The last commit before histories were frozen; every history present then is kept as it was then. */
const FROZEN_FROM = 'b716cd50e0d7a2eb6b93a9cfcba49041f795eadc';
const HISTORIES = 'test/replay/histories';

const git = (...args: string[]) => execFileSync('git', args, { cwd: projectRoot, encoding: 'utf8' }).trim();

/** Path → the blob it had when it first landed (at FROZEN_FROM, or in the commit that added it). */
function landedHistories(): Map<string, string> {
  const landed = new Map<string, string>();
  for (const path of git('ls-tree', '-r', '--name-only', FROZEN_FROM, '--', HISTORIES).split('\n')) {
    if (path) landed.set(path, git('rev-parse', `${FROZEN_FROM}:${path}`));
  }
  // Oldest first, so the first commit that added a path wins.
  const log = git(
    'log',
    '--reverse',
    '--diff-filter=A',
    '--format=commit %H',
    '--name-only',
    `${FROZEN_FROM}..HEAD`,
    '--',
    HISTORIES,
  );
  let commit = '';
  for (const line of log.split('\n')) {
    if (line.startsWith('commit ')) commit = line.slice('commit '.length);
    else if (line && !landed.has(line)) landed.set(line, git('rev-parse', `${commit}:${line}`));
  }
  return landed;
}

describe('recorded histories', () => {
  it('are never deleted or changed once they have landed', () => {
    expect(
      () => git('cat-file', '-e', `${FROZEN_FROM}^{commit}`),
      'this check reads git history: run it in a full clone (git fetch --unshallow)',
    ).not.toThrow();
    const landed = landedHistories();
    expect(landed.size).toBeGreaterThanOrEqual(3);
    for (const [path, blob] of landed) {
      const file = join(projectRoot, path);
      expect(existsSync(file), `${path} was deleted; recorded histories are kept for ever`).toBe(true);
      expect(git('hash-object', file), `${path} changed after it landed; record a new history instead`).toBe(
        blob,
      );
    }
  });
});
