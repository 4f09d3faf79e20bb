// `npm run build` (after the type check): every TypeScript module of the application, transpiled
// file by file into ESM JavaScript under dist/ with the sources' layout, so production runs
// `node dist/api/main.js` and the like without tsx. esbuild only strips the types; checking them is
// tsc's (`npm run typecheck`). Files that modules read beside themselves are copied beside them.
// The configuration (config/, runbooks/) is not copied: compiled modules find it in the project
// folder, as the sources do (config/project-root.ts).
//
//   node --import tsx scripts/build-dist.ts [output folder inside the project, default dist]
import { cp, readdir, rm } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { build } from 'esbuild';
import { projectRoot } from '../config/project-root.js';

/** Top-level folders that hold no application code: the tests, and development tools. */
const NOT_APPLICATION = new Set(['node_modules', 'dist', 'test', 'scripts']);

/** Scripts an operator runs in production (docs/operations.md), compiled with the application. */
const OPERATOR_SCRIPTS = ['scripts/restore-backup.ts'];

/** What modules read through import.meta.url, by the module that reads it. */
const RUNTIME_ASSETS = [
  // db/migrate-database.ts: the schema's migrations, run by dist/db/migrate-main.js.
  'db/migrations',
  // security/data-converter.ts: the Temporal SDK loads these by path, in the worker and the sandbox.
  'security/failure-converter.cjs',
  'security/payload-converter.cjs',
  // demo/edm-web/live-config.ts and schema-migrations.ts: the demo service's bundles and migrations.
  'demo/edm-web/config',
  'demo/edm-web/migrations',
];

const isModule = (name: string) =>
  name.endsWith('.ts') && !name.endsWith('.test.ts') && !name.endsWith('.d.ts');

/** The TypeScript modules under `folder`, project-relative. */
async function modulesUnder(folder: string): Promise<string[]> {
  const entries = await readdir(join(projectRoot, folder), { withFileTypes: true });
  const found = await Promise.all(
    entries.map((entry) => {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) return modulesUnder(path);
      return entry.isFile() && isModule(entry.name) ? [path] : [];
    }),
  );
  return found.flat();
}

/** The application's modules: every top-level folder's but the tests' and the tools'. */
async function applicationModules(): Promise<string[]> {
  const entries = await readdir(projectRoot, { withFileTypes: true });
  const folders = entries
    .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.') && !NOT_APPLICATION.has(entry.name))
    .map((entry) => entry.name);
  const modules = await Promise.all(folders.map(modulesUnder));
  return [...modules.flat(), ...OPERATOR_SCRIPTS].sort();
}

/**
 * The output folder is emptied first, so it may only be dist/ or a dist… folder of .runway/ (where
 * the stack keeps its state and tools beside it): inside the project, too, because compiled modules
 * find config/ and runbooks/ by walking up from themselves.
 */
function outputFolder(argument: string | undefined): string {
  const output = resolve(projectRoot, argument ?? 'dist');
  const [top, name, ...deeper] = relative(projectRoot, output).split(sep);
  const allowed = top === 'dist' || (top === '.runway' && name?.startsWith('dist') && deeper.length === 0);
  if (!allowed) throw new Error(`${output}: build into dist/ or .runway/dist…/ of ${projectRoot}`);
  return output;
}

async function buildDist(output: string): Promise<{ modules: number; milliseconds: number }> {
  const started = performance.now();
  const modules = await applicationModules();
  await rm(output, { recursive: true, force: true });
  await build({
    entryPoints: modules.map((module) => join(projectRoot, module)),
    outbase: projectRoot,
    outdir: output,
    bundle: false,
    format: 'esm',
    platform: 'node',
    // The engines' floor: for targets below 20.10 esbuild silently drops the import attributes
    // (`with { type: 'json' }`) without which Node refuses to import JSON.
    target: 'node20.11',
    sourcemap: true,
    logLevel: 'warning',
  });
  for (const asset of RUNTIME_ASSETS) {
    await cp(join(projectRoot, asset), join(output, asset), { recursive: true });
  }
  return { modules: modules.length, milliseconds: Math.round(performance.now() - started) };
}

const output = outputFolder(process.argv[2]);
const { modules, milliseconds } = await buildDist(output);
console.log(`dist: ${modules} modules transpiled into ${output} (${milliseconds} ms)`);
