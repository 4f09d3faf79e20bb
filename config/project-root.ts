// The project folder, which holds config/, runbooks/ and the demo's tools. Found by walking up from
// this module rather than a fixed '..', so a compiled copy (dist/config/project-root.js, or any
// output folder inside the project) reads the same configuration as the TypeScript sources.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Only the project folder has it; the install scripts and the container image keep it there too. */
export const PROJECT_MARKER = join('scripts', 'temporal-binaries.json');

function findProjectRoot(): string {
  const self = fileURLToPath(import.meta.url);
  let dir = dirname(self);
  for (;;) {
    if (existsSync(join(dir, PROJECT_MARKER))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`Cannot find ${PROJECT_MARKER} above ${self}`);
    dir = parent;
  }
}

export const projectRoot = findProjectRoot();
