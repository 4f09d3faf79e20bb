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
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const pins = JSON.parse(readFileSync(join(projectRoot, 'scripts', 'fuzz-tools.json'), 'utf8'));
const installRoot = join(projectRoot, pins.installDir);
const pin = pins.schemathesis;
const STAMP_FILE = '.installed.json';

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
  const stampPath = join(dir, STAMP_FILE);
  if (!existsSync(stampPath) || !existsSync(venvPython(dir))) return false;
  try {
    const stamp = JSON.parse(readFileSync(stampPath, 'utf8'));
    return stamp.package === pin.package && stamp.version === pin.version;
  } catch {
    return false;
  }
}

/** A Python 3.10+ with the venv module (Debian ships it separately, as python3-venv). */
function findPython() {
  const candidates = process.platform === 'win32' ? ['py', 'python3', 'python'] : ['python3', 'python'];
  return candidates.find((python) => {
    const probe = spawnSync(python, ['-c', 'import sys, venv; sys.exit(sys.version_info < (3, 10))'], {
      stdio: 'ignore',
    });
    return probe.status === 0;
  });
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

function removeOtherVersions(keepDir) {
  if (!existsSync(installRoot)) return;
  for (const entry of readdirSync(installRoot)) {
    const dir = join(installRoot, entry);
    if (entry.startsWith(`${pin.package}-`) && dir !== keepDir) rmSync(dir, { recursive: true, force: true });
  }
}

function install(python) {
  const finalDir = join(installRoot, `${pin.package}-${pin.version}`);
  // Built beside the final folder and renamed at the end, so an interrupted install is never taken
  // for a complete one. The fuzz runner calls `python -m`, which survives the rename.
  const stagingDir = `${finalDir}.staging-${process.pid}`;
  rmSync(stagingDir, { recursive: true, force: true });
  const started = Date.now();
  const failure =
    run(python, ['-m', 'venv', stagingDir]) ??
    run(venvPython(stagingDir), [
      '-m',
      'pip',
      'install',
      '--quiet',
      '--constraint',
      join(projectRoot, pin.constraints),
      `${pin.package}==${pin.version}`,
    ]);
  if (failure) {
    rmSync(stagingDir, { recursive: true, force: true });
    return failure;
  }
  writeFileSync(
    join(stagingDir, STAMP_FILE),
    `${JSON.stringify({ package: pin.package, version: pin.version }, null, 2)}\n`,
  );
  rmSync(finalDir, { recursive: true, force: true });
  renameSync(stagingDir, finalDir);
  removeOtherVersions(finalDir);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  log(`installed ${pin.package} ${pin.version} in ${seconds} s: ${relative(projectRoot, finalDir)}`);
  return undefined;
}

function main() {
  if (process.env.RUNWAY_SKIP_FUZZ_TOOLS === '1') {
    log('RUNWAY_SKIP_FUZZ_TOOLS=1; skipping');
    return;
  }
  const dir = join(installRoot, `${pin.package}-${pin.version}`);
  if (isInstalled(dir)) {
    log(`${pin.package} ${pin.version} already installed: ${relative(projectRoot, dir)}`);
    return;
  }
  const python = findPython();
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
