// What the engine benchmark releases: a runbook of nothing but no-op command steps, and the no-op
// command itself, which the bare baseline spawns too.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { DEMO_SERVICE } from '../../stack/demo-target-layout.js';

export const ENGINE_STEPS = 50;
/** The cheapest real process there is: no interpreter starts, it exits 0 at once. */
export const NOOP_ARGV = ['true'];
export const ENGINE_SERVICE = DEMO_SERVICE;
const NOOP_COMMAND = 'noop';
/** Where the API reads the runbooks from (api/main.ts). */
export const RUNBOOK_DIR_ENV = 'RUNWAY_RUNBOOK_DIR';

/**
 * A `regular` runbook, since the API starts only runbooks of a release type; steps on TEST, since
 * no deploy step means no production inspection and no version rule before the start. The schema
 * asks for nothing besides the steps.
 */
export function noopRunbook(steps = ENGINE_STEPS): string {
  const lines = ['type: regular', 'description: Engine benchmark, only no-op commands.', 'steps:'];
  for (let index = 1; index <= steps; index++) {
    const id = `noop-${String(index).padStart(2, '0')}`;
    lines.push(`  - { id: ${id}, kind: command, environment: test, command: ${NOOP_COMMAND} }`);
  }
  return `${lines.join('\n')}\n`;
}

/** crash-stack's editConfig: gives the demo service the no-op command the runbook names. */
export async function addNoopCommand(configDir: string): Promise<void> {
  const file = join(configDir, 'services', `${ENGINE_SERVICE}.yml`);
  const service = parse(await readFile(file, 'utf8'));
  service.commands = { ...service.commands, [NOOP_COMMAND]: { argv: NOOP_ARGV, timeoutSeconds: 10 } };
  await writeFile(file, stringify(service));
}

/** A folder holding only the no-op runbook as `regular.yml`; remove it when done. */
export async function writeNoopRunbookDir(): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'runway-engine-runbooks-'));
  await writeFile(join(dir, 'regular.yml'), noopRunbook());
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}
