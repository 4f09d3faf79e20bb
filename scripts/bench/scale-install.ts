// The compiled Runway for the scale runs: a snapshot of dist/ in a folder of its own, beside the
// scale runbook. A snapshot, because `npm run build:dist` empties dist/ before it writes it again, and
// a run of several minutes on a shared machine must not lose its code to someone else's rebuild.
// Compiled modules find their project folder by walking up to scripts/temporal-binaries.json
// (config/project-root.ts) and their packages through node_modules, so the folder gets that marker
// and a link to the project's node_modules, as test/cluster/upgrade.test.ts builds its second
// version. The API takes the runbook from RUNWAY_RUNBOOK_DIR (`runbookEnv`).
import { cp, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_MARKER } from '../../config/project-root.js';
import { compiledEntry } from '../../stack/cluster/runway-processes.js';
import { projectRoot } from '../../stack/temporal-binaries.js';

/**
 * TEST, the change approval a regular release waits at, production: no window (its wait depends on
 * the clock), no verification, baseline or bake (each would probe a real service). The quorum is
 * the regular runbook's, so every release takes two approvals through the API.
 */
export const SCALE_RUNBOOK = `type: regular
description: Scale benchmark - TEST, the change approval, PROD; no window, verification or bake.
steps:
  - id: deploy-test
    name: Deploy to TEST
    kind: deploy
    environment: test
  - id: change-approval
    name: Change approval (PM and tech lead)
    kind: approval
    environment: production
    quorum: [pm, tech-lead]
  - id: deploy-production
    name: Deploy to PROD
    kind: deploy
    environment: production
`;

export interface ScaleInstall {
  /** RUNWAY_RUNBOOK_DIR for the API: the folder holding only the scale runbook. */
  runbookEnv: { RUNWAY_RUNBOOK_DIR: string };
  /** The copy's dist/ (the cluster's `distDir`). */
  distDir: string;
  /** The compiled entry points (the crash stack's `entries`). */
  entries: { api: string; worker: string };
  remove(): Promise<void>;
}

export async function prepareScaleInstall(): Promise<ScaleInstall> {
  // Fails with "run npm run build" before anything is copied when dist/ is missing.
  compiledEntry('api');
  compiledEntry('worker');
  const root = await mkdtemp(join(tmpdir(), 'runway-scale-install-'));
  const remove = () => rm(root, { recursive: true, force: true });
  try {
    await cp(join(projectRoot, 'dist'), join(root, 'dist'), { recursive: true });
    await mkdir(join(root, 'scripts'));
    await cp(join(projectRoot, PROJECT_MARKER), join(root, PROJECT_MARKER));
    await mkdir(join(root, 'runbooks'));
    await writeFile(join(root, 'runbooks', 'regular.yml'), SCALE_RUNBOOK);
    await symlink(join(projectRoot, 'node_modules'), join(root, 'node_modules'));
    const distDir = join(root, 'dist');
    return {
      runbookEnv: { RUNWAY_RUNBOOK_DIR: join(root, 'runbooks') },
      distDir,
      entries: { api: compiledEntry('api', distDir), worker: compiledEntry('worker', distDir) },
      remove,
    };
  } catch (error) {
    await remove();
    throw error;
  }
}
