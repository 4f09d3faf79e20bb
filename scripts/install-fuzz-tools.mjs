#!/usr/bin/env node
// Installs the pinned schemathesis (the OpenAPI fuzzer behind `npm run fuzz` and the short fuzz
// run in `npm test`) into a virtual environment under .runway/tools/, from PyPI. Runs as npm
// `postinstall` after the Temporal binaries, so it must never break `npm install` for someone
// without Python: every failure ends in a warning and exit code 0. The fuzz run itself then fails
// and says why (scripts/fuzz-tools.ts), so a missing fuzzer can never pass as a green test.
//
// Environment:
//   RUNWAY_SKIP_FUZZ_TOOLS=1   skip the install (the fuzz test then fails until it is installed)
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findPython, hasInstallStamp, installStaged, pinDir } from './pinned-install.mjs';

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const pins = JSON.parse(readFileSync(join(projectRoot, 'scripts', 'fuzz-tools.json'), 'utf8'));
const installRoot = join(projectRoot, pins.installDir);
const pin = pins.schemathesis;

function log(message) {
  console.log(`[fuzz-tools] ${message}`);
}

function warn(message) {
  console.warn(`[fuzz-tools] WARNING: ${message}`);
}

function venvPython(dir) {
  return process.platform === 'win32' ? join(dir, 'Scripts', 'python.exe') : join(dir, 'bin', 'python');
}

function isInstalled(dir) {
  return hasInstallStamp(dir, pin) && existsSync(venvPython(dir));
}

function run(command, args) {
  const result = spawnSync(command, args, {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, PIP_NO_INPUT: '1', PIP_DISABLE_PIP_VERSION_CHECK: '1' },
  });
  if (result.error) return result.error.message;
  return result.status === 0
    ? undefined
    : `${relative(projectRoot, command) || command} exited with code ${result.status}`;
}

function install(python) {
  // The fuzz runner calls `python -m`, which survives the rename from the staging folder.
  const result = installStaged(
    installRoot,
    pin,
    (stagingDir) =>
      run(python, ['-m', 'venv', stagingDir]) ??
      run(venvPython(stagingDir), [
        '-m',
        'pip',
        'install',
        '--quiet',
        '--constraint',
        join(projectRoot, pin.constraints),
        `${pin.package}==${pin.version}`,
      ]),
  );
  if (result.failure) return result.failure;
  log(
    `installed ${pin.package} ${pin.version} in ${result.seconds} s: ${relative(projectRoot, result.finalDir)}`,
  );
  return undefined;
}

function main() {
  if (process.env.RUNWAY_SKIP_FUZZ_TOOLS === '1') {
    log('RUNWAY_SKIP_FUZZ_TOOLS=1; skipping');
    return;
  }
  const dir = pinDir(installRoot, pin);
  if (isInstalled(dir)) {
    log(`${pin.package} ${pin.version} already installed: ${relative(projectRoot, dir)}`);
    return;
  }
  // 3.10 or newer with the venv module (Debian ships it separately, as python3-venv).
  const python = findPython(['-c', 'import sys, venv; sys.exit(sys.version_info < (3, 10))']);
  if (!python) {
    warn(
      `no python3 (3.10 or newer, with the venv module) was found, so ${pin.package} ${pin.version} was not installed. ` +
        'Only the API fuzzing (npm run fuzz, test/fuzz) needs it: install python3 and python3-venv, then run ' +
        '`node scripts/install-fuzz-tools.mjs`.',
    );
    return;
  }
  const failure = install(python);
  if (failure) {
    warn(
      `installing ${pin.package}==${pin.version} failed (${failure}). Only the API fuzzing needs it; ` +
        'retry with `node scripts/install-fuzz-tools.mjs`.',
    );
  }
}

try {
  main();
} catch (error) {
  warn(`unexpected failure, continuing without the API fuzzer: ${error?.stack ?? error}`);
}
process.exitCode = 0;
