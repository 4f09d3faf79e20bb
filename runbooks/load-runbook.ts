import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../config/config-error.js';
import { readYamlFile } from '../config/read-yaml-file.js';
import type { ReleaseType } from '../workflows/release-model.js';
import { type Runbook, runbookSchema } from './runbook-schema.js';

export const DEFAULT_RUNBOOK_DIR = fileURLToPath(new URL('.', import.meta.url));

/** Reads `<type>.yml` from the runbook folder and checks that it describes that type. */
export async function loadRunbook(type: ReleaseType, dir: string = DEFAULT_RUNBOOK_DIR): Promise<Runbook> {
  const file = join(dir, `${type}.yml`);
  const runbook = await readYamlFile(file, runbookSchema);
  if (runbook.type !== type) throw new ConfigError(file, [{ path: 'type', message: `expected "${type}"` }]);
  return runbook;
}
