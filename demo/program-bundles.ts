// The demo's command-line tools (demo/bin) and its services' servers, bundled into plain JavaScript
// under demo/dist: the services' driver commands run the tools (config/services/*.yml), the demo
// target starts the servers. Run through tsx, each spent 0.3–0.6 s compiling and loading before it
// did anything, and a regular release runs some twenty tools and starts several servers. The demo
// target bundles them anew whenever it starts (about 0.3 s), so nothing edited is ever run stale.
import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { build } from 'esbuild';
import { projectRoot } from '../stack/temporal-binaries.js';

/** Each bundle's name in demo/dist (without `.mjs`) and its source under demo/. */
const DEMO_PROGRAMS = {
  'edm-ctl': 'bin/edm-ctl.ts',
  'edm-checks': 'bin/edm-checks.ts',
  'edm-db': 'bin/edm-db.ts',
  'edm-web-server': 'edm-web/server.ts',
  'edm-sender-server': 'edm-sender/server.ts',
} as const;

export type DemoProgram = keyof typeof DEMO_PROGRAMS;

/** Where the bundles live: `node demo/dist/edm-ctl.mjs …` from the project root. */
export const demoBundlesDir = (root = projectRoot) => join(root, 'demo', 'dist');

/** The bundle of one program, and the source it is built from (an older run's processes ran that). */
export function demoProgramPaths(
  program: DemoProgram,
  root = projectRoot,
): { bundle: string; source: string } {
  return {
    bundle: join(demoBundlesDir(root), `${program}.mjs`),
    source: join(root, 'demo', DEMO_PROGRAMS[program]),
  };
}

/**
 * Bundles every demo program, with the packages it uses, into demo/dist/<program>.mjs. Stacks
 * starting side by side may bundle at once: each builds in a folder of its own and renames every
 * file into place, so a command never loads a half-written one.
 */
export async function bundleDemoPrograms(root = projectRoot): Promise<void> {
  const outdir = demoBundlesDir(root);
  await mkdir(outdir, { recursive: true });
  const staging = await mkdtemp(join(outdir, '.bundling-'));
  try {
    await build({
      entryPoints: Object.entries(DEMO_PROGRAMS).map(([out, source]) => ({
        in: join(root, 'demo', source),
        out,
      })),
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      // Dependencies too: loading zod and pg from node_modules file by file took longer than most
      // tools' own work. pg's optional native binding is not installed; pg only loads it on request.
      external: ['pg-native'],
      // CommonJS packages (pg) call require() for Node's own modules, which ESM output lacks.
      banner: {
        js: "import { createRequire as createRequireForBundle } from 'node:module'; const require = createRequireForBundle(import.meta.url);",
      },
      outdir: staging,
      outExtension: { '.js': '.mjs' },
      logLevel: 'warning',
    });
    for (const program of Object.keys(DEMO_PROGRAMS)) {
      await rename(join(staging, `${program}.mjs`), join(outdir, `${program}.mjs`));
    }
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}
