// Replays recorded release histories against the current workflow code: a change that would break
// releases already running (non-determinism) fails here. Histories are recorded from the end-to-end
// suite (RUNWAY_RECORD_HISTORY=1 npm test -- test/integration) and committed.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { WORKFLOWS_PATH } from '../../worker/create-release-worker.js';
import { testWorkerDataConverter } from '../support/payload-keys.js';

const HISTORIES = join(import.meta.dirname, 'histories');

describe('recorded release histories', () => {
  it('replay without non-determinism on the current workflow code', async () => {
    const files = (await readdir(HISTORIES)).filter((file) => file.endsWith('.json')).sort();
    expect(files.length).toBeGreaterThan(0);
    const histories = await Promise.all(
      files.map(async (file) => ({
        workflowId: file.replace(/\.json$/, ''),
        history: historyFromJSON(JSON.parse(await readFile(join(HISTORIES, file), 'utf8'))),
      })),
    );
    const replayed: string[] = [];
    // With the workers' own converter. Histories recorded since payload encryption are sealed with
    // the test stacks' fixed key; older ones are in clear, which releases started before the trust
    // boundary (no start-authority marker) still accept.
    const options = { workflowsPath: WORKFLOWS_PATH, dataConverter: testWorkerDataConverter };
    for await (const result of Worker.runReplayHistories(options, histories)) {
      expect(result.error, `${result.workflowId}: ${String(result.error)}`).toBeUndefined();
      replayed.push(result.workflowId);
    }
    expect(replayed).toEqual(files.map((file) => file.replace(/\.json$/, '')));
  });
});
