// Finds the schemathesis that scripts/install-fuzz-tools.mjs installs (npm postinstall). Unlike the
// Temporal binaries there is no fallback: without it the fuzz run fails and says how to fix it.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../stack/temporal-binaries.js';

interface FuzzToolPins {
  installDir: string;
  schemathesis: { package: string; version: string; constraints: string };
}

export const fuzzToolPins: FuzzToolPins = JSON.parse(
  readFileSync(join(projectRoot, 'scripts', 'fuzz-tools.json'), 'utf8'),
);

export class FuzzToolMissing extends Error {}

/** The virtual environment's Python, which runs schemathesis as `python -m schemathesis.cli`. */
export function resolveSchemathesisPython(): string {
  const { schemathesis } = fuzzToolPins;
  const dir = join(projectRoot, fuzzToolPins.installDir, `${schemathesis.package}-${schemathesis.version}`);
  const python = join(dir, process.platform === 'win32' ? 'Scripts/python.exe' : 'bin/python');
  if (existsSync(join(dir, '.installed.json')) && existsSync(python)) return python;
  const hasPython = spawnSync('python3', ['--version'], { stdio: 'ignore' }).status === 0;
  throw new FuzzToolMissing(
    hasPython
      ? `schemathesis ${schemathesis.version} is not installed in ${dir}: run \`node scripts/install-fuzz-tools.mjs\` ` +
          '(npm install runs it) and read its warning if it fails.'
      : `the API fuzzer needs python3 (3.10 or newer, with venv), which was not found. Install python3 and ` +
          'python3-venv (Debian: apt-get install python3 python3-venv), then run `node scripts/install-fuzz-tools.mjs`.',
  );
}
