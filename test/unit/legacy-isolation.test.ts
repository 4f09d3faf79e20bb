// The v1 engine (workflows/legacy/) replays histories for ever, so no edit to the v2 engine may change
// what it runs: at run time it imports only the SDK and its own folder. Types may come from
// anywhere: they change no history.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const LEGACY = join(import.meta.dirname, '..', '..', 'workflows', 'legacy');

describe('the v1 engine', () => {
  it('imports nothing at run time from outside its folder but the Temporal SDK', async () => {
    const outside: string[] = [];
    for (const file of (await readdir(LEGACY)).filter((name) => name.endsWith('.ts'))) {
      const source = await readFile(join(LEGACY, file), 'utf8');
      for (const [, kind, from] of source.matchAll(/^(import(?: type)?|export)\b[^;]*?from '([^']+)';/gms)) {
        if (kind === 'import type') continue;
        if (from?.startsWith('./') || from?.startsWith('@temporalio/')) continue;
        outside.push(`${file}: ${from}`);
      }
    }
    expect(outside).toEqual([]);
  });
});
