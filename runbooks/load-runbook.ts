import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../config/config-error.js';
import type { RunwayConfig } from '../config/config-schema.js';
import { deepFreeze, fileStamp } from '../config/file-stamp.js';
import { projectRoot } from '../config/project-root.js';
import { readYamlFile } from '../config/read-yaml-file.js';
import { RELEASE_TYPES, type ReleaseType } from '../workflows/release-model.js';
import { PlanError } from './resolve-release-plan.js';
import { type Runbook, runbookSchema } from './runbook-schema.js';

/** A release type with no runbook installed. */
export class RunbookUnavailable extends PlanError {
  override name = 'RunbookUnavailable';
}

export const DEFAULT_RUNBOOK_DIR = join(projectRoot, 'runbooks');

/** Runbooks read, by file, under the file's stamp: a start reads its runbook only after an edit. */
const keptRunbooks = new Map<string, { stamp: string; runbook: Promise<Runbook> }>();

/**
 * `<type>.yml` from the runbook folder, checked to describe that type. Kept while the file stays
 * the same (config/file-stamp.ts) and frozen, as every start shares it.
 */
export async function loadRunbook(type: ReleaseType, dir: string = DEFAULT_RUNBOOK_DIR): Promise<Runbook> {
  const file = join(dir, `${type}.yml`);
  const stamp = await fileStamp(file);
  // Runbooks arrive one release type at a time: the request is well formed, this installation just
  // cannot run that type (422).
  if (stamp === undefined) throw new RunbookUnavailable(`no runbook for release type ${type} yet`);
  const kept = keptRunbooks.get(file);
  if (kept?.stamp === stamp) return kept.runbook;
  // Read after the stamp was taken: what is kept is at least as new as its stamp says.
  const runbook = readRunbook(file, type);
  keptRunbooks.set(file, { stamp, runbook });
  // A file that does not read is not kept: the next start reads it again, and says why again.
  runbook.catch(() => {
    if (keptRunbooks.get(file)?.runbook === runbook) keptRunbooks.delete(file);
  });
  return runbook;
}

async function readRunbook(file: string, type: ReleaseType): Promise<Runbook> {
  const runbook = await readYamlFile(file, runbookSchema);
  if (runbook.type !== type) throw new ConfigError(file, [{ path: 'type', message: `expected "${type}"` }]);
  return deepFreeze(runbook);
}

/**
 * Loads every runbook there is and checks it against the configuration, so a broken runbook
 * stops a process at start rather than failing the first release that needs it.
 */
export async function checkRunbooks(
  config: RunwayConfig,
  dir: string = DEFAULT_RUNBOOK_DIR,
): Promise<ReleaseType[]> {
  const present = RELEASE_TYPES.filter((type) => existsSync(join(dir, `${type}.yml`)));
  for (const type of present) {
    const runbook = await loadRunbook(type, dir);
    const problems = runbook.steps.flatMap((step, index) =>
      config.environments[step.environment]
        ? []
        : [
            {
              path: `steps.${index}.environment`,
              message: `expected an environment of config/environments (got ${step.environment})`,
            },
          ],
    );
    if (problems.length > 0) throw new ConfigError(join(dir, `${type}.yml`), problems);
  }
  return present;
}
