// The end-to-end suites' view of a running stack: its HTTP API as each demo identity, the demo
// service's versions, and recording a release's history for the replay suite.
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { expect } from 'vitest';
import type { z } from 'zod';
import { ReleaseSchema } from '../../api/release-schemas.js';
import { resolveTemporalCli } from '../../stack/temporal-binaries.js';
import type { TestStack } from './runway-stack.js';

export type ReleaseJson = z.infer<typeof ReleaseSchema>;

const HISTORIES = join(import.meta.dirname, '../replay/histories');

/** `stack` is read on every call: a restart replaces the processes behind it. */
export function releaseApi(stack: () => TestStack) {
  async function api(method: string, path: string, as: string, body?: unknown) {
    const response = await fetch(`${stack().runway.apiUrl}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${stack().tokens[as]}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  /** A release as `as` sees it, checked against the schema the OpenAPI document publishes. */
  async function getRelease(id: string, as = 'dev-chen'): Promise<ReleaseJson> {
    const { status, body } = await api('GET', `/releases/${encodeURIComponent(id)}`, as);
    expect(status).toBe(200);
    return ReleaseSchema.parse(body);
  }

  return {
    api,
    getRelease,
    /** Asks ops-wang's API for a regular release of edm-web. */
    requestRelease: (version: string, extra: Record<string, unknown> = {}) =>
      api('POST', '/releases', 'ops-wang', { type: 'regular', service: 'edm-web', version, ...extra }),

    async waitForStatus(id: string, wanted: string[], timeoutMs = 90_000): Promise<ReleaseJson> {
      const deadline = Date.now() + timeoutMs;
      let last: ReleaseJson | undefined;
      while (Date.now() < deadline) {
        last = await getRelease(id);
        if (wanted.includes(last.status)) return last;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      throw new Error(`release ${id} did not reach ${wanted.join('/')}: ${JSON.stringify(last)}`);
    },

    async servedVersion(environment: string): Promise<string> {
      const response = await fetch(`${stack().serviceUrls[environment]}/version`);
      return ((await response.json()) as { version: string }).version;
    },

    /**
     * With RUNWAY_RECORD_HISTORY=1, keeps the release's history for the replay suite. Recorded
     * histories are kept for ever: an existing file is never overwritten.
     */
    async recordHistoryForReplay(id: string, name: string): Promise<void> {
      if (!process.env.RUNWAY_RECORD_HISTORY) return;
      const file = join(HISTORIES, `${name}.json`);
      if (existsSync(file)) return;
      const cli = resolveTemporalCli();
      if (!cli)
        throw new Error(
          'recording histories needs the temporal CLI (npm install puts it in .runway/temporal)',
        );
      // The CLI writes the same JSON as `temporal workflow show`, which `historyFromJSON` reads back.
      const { stdout } = await execa(cli, [
        'workflow',
        'show',
        '--workflow-id',
        id,
        '--address',
        stack().temporal.address,
        '--output',
        'json',
      ]);
      await writeFile(file, stdout);
    },
  };
}
