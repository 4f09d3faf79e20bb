import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../config/config-error.js';
import { readYamlFile } from '../config/read-yaml-file.js';
import type { ReleaseType } from '../workflows/release-model.js';
import { PlanError } from './resolve-release-plan.js';
import { type Runbook, runbookSchema } from './runbook-schema.js';

export const DEFAULT_RUNBOOK_DIR = fileURLToPath(new URL('.', import.meta.url));

/** Reads `<type>.yml` from the runbook folder and checks that it describes that type. */
export async function loadRunbook(type: ReleaseType, dir: string = DEFAULT_RUNBOOK_DIR): Promise<Runbook> {
  const file = join(dir, `${type}.yml`);
  // Runbooks arrive one release type at a time: a missing one is the caller's to hear about (400).
  if (!existsSync(file)) throw new PlanError(`no runbook for release type ${type} yet`);
  const runbook = await readYamlFile(file, runbookSchema);
  if (runbook.type !== type) throw new ConfigError(file, [{ path: 'type', message: `expected "${type}"` }]);
  return runbook;
}
