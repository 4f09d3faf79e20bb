// An upgrade while a release waits at its gate, on the cluster with worker versioning: build A's
// workers run a release to its approval; build B — this commit with a change to the release
// workflow that A's histories cannot replay — is built from a copy of the tree, its workers and API
// start beside A's, and B becomes current. A's release still finishes on A (it is pinned), a new
// release runs on B, B's API reads and decides A's release, and A's build then reports drained,
// which is when its workers may stop (docs/operations.md, "Upgrading Runway").
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { payloadEncryptionFromEnvironment } from '../../security/data-converter.js';
import { type ClusterStack, startClusterStack } from '../../stack/cluster/cluster-stack.js';
import { getFreePort } from '../../stack/free-port.js';
import { projectRoot } from '../../stack/temporal-binaries.js';
import { deploymentBuilds } from '../../worker/worker-deployment.js';
import { writeConfig } from '../crash/crash-stack.js';
import { clusterApi, clusterTemporalClient } from './cluster-client.js';

let stack: ClusterStack;
let dir: string;
let buildB: string;
/** Build B's API replica, once started. */
let apiB: { url: string };
const { call, waitFor } = clusterApi(() => stack);
const ENDED = ['succeeded', 'failed', 'rolled-back', 'cancelled', 'rejected'];

/** The marker of build B: a timer before anything else, which A's histories do not have. */
const BREAKING_CHANGE = {
  file: join('workflows', 'release-workflow.ts'),
  after: '  const rulesFirst = patched(RULES_FIRST_PATCH);\n',
  insert: "  await sleep('1234 milliseconds'); // build B\n",
};

/** This commit's tree in `dir` with the breaking change, built: its dist/ folder. */
async function buildVersionB(into: string): Promise<string> {
  execFileSync('sh', ['-c', `git -C "${projectRoot}" archive HEAD | tar -x -C "${into}"`]);
  await symlink(join(projectRoot, 'node_modules'), join(into, 'node_modules'));
  const file = join(into, BREAKING_CHANGE.file);
  const source = await readFile(file, 'utf8');
  if (!source.includes(BREAKING_CHANGE.after))
    throw new Error(`${BREAKING_CHANGE.file} changed: update this test`);
  await writeFile(
    file,
    source.replace(BREAKING_CHANGE.after, BREAKING_CHANGE.after + BREAKING_CHANGE.insert),
  );
  for (const script of ['scripts/build-dist.ts', 'scripts/bundle-workflows.ts']) {
    execFileSync(process.execPath, ['--import', 'tsx', script], { cwd: into, stdio: 'ignore' });
  }
  return join(into, 'dist');
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'runway-upgrade-'));
  const configDir = join(dir, 'config');
  await writeConfig(configDir, await getFreePort());
  stack = await startClusterStack({
    stateDir: join(dir, 'state'),
    ports: { temporal: 0, web: 0, api: 0, postgres: 0 },
    configDir,
    buildId: 'build-a',
    // Drainage is checked every few minutes by default; seconds here.
    temporalDynamicConfig: {
      'matching.wv.VersionDrainageStatusRefreshInterval': '2s',
      'matching.wv.VersionDrainageStatusVisibilityGracePeriod': '2s',
    },
  });
  const versionB = join(dir, 'version-b');
  await mkdir(versionB);
  buildB = await buildVersionB(versionB);
}, 600_000);

afterAll(async () => {
  await stack?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
}, 120_000);

async function historyOf(id: string): Promise<temporal.api.history.v1.IHistory> {
  const { client, connection } = await clusterTemporalClient(stack);
  try {
    return await client.workflow.getHandle(id).fetchHistory();
  } finally {
    await connection.close();
  }
}

/** The builds whose workers completed the workflow's tasks. */
function buildsThatRan(history: temporal.api.history.v1.IHistory): string[] {
  const builds = (history.events ?? []).flatMap((event) => {
    const completed = event.workflowTaskCompletedEventAttributes;
    const build = completed?.deploymentVersion?.buildId ?? completed?.workerVersion?.buildId;
    return build ? [build] : [];
  });
  return [...new Set(builds)];
}

/** Build B's marker: its 1.234 s timer, a duration none of the release's own timers has. */
const markerTimers = (history: temporal.api.history.v1.IHistory) =>
  (history.events ?? []).filter((event) => {
    const timeout = event.timerStartedEventAttributes?.startToFireTimeout;
    return timeout && Number(timeout.seconds ?? 0) === 1 && Number(timeout.nanos ?? 0) === 234_000_000;
  }).length;

async function start(baseUrl: string, service: string, version: string): Promise<string> {
  const answer = await call(baseUrl, 'POST', '/releases', 'ops-wang', { type: 'regular', service, version });
  expect(answer.status, JSON.stringify(answer.body)).toBe(201);
  return answer.body.id as string;
}

/** Approves the release through B's API; it succeeds on `build`, with so many of B's marker timers. */
async function expectFinishedOn(id: string, build: string, markers: number): Promise<void> {
  await approve(apiB.url, id);
  const done = await waitFor(id, ENDED, 180_000, apiB.url);
  expect(done.status, JSON.stringify(done.failure)).toBe('succeeded');
  const history = await historyOf(id);
  expect(buildsThatRan(history)).toEqual([build]);
  expect(markerTimers(history)).toBe(markers);
}

async function approve(baseUrl: string, id: string): Promise<void> {
  for (const approver of ['pm-li', 'tl-zhang']) {
    const answer = await call(baseUrl, 'POST', `/releases/${id}/approvals`, approver, {
      decision: 'approve',
    });
    expect(answer.status, JSON.stringify(answer.body)).toBe(202);
  }
}

describe('an upgrade while a release waits at its gate', () => {
  it('finishes the waiting release on build A, runs new releases on B, and lets A stop once drained', async () => {
    const waiting = await start(stack.apiUrl, 'edm-web', '2.0.0');
    expect((await waitFor(waiting, ['awaiting-approval', ...ENDED])).status).toBe('awaiting-approval');

    // Without versioning, B's workers would take the waiting release's next task and fail it.
    const dataConverter = payloadEncryptionFromEnvironment(stack.runwayEnv).workerDataConverter;
    const code = await readFile(join(buildB, 'workflow-bundle.js'), 'utf8');
    await expect(
      Worker.runReplayHistory({ workflowBundle: { code }, dataConverter }, await historyOf(waiting), waiting),
    ).rejects.toThrow(/nondetermin/i);

    const workerB = stack.startWorker('worker-b', { RUNWAY_WORKER_BUILD_ID: 'build-b' }, buildB);
    apiB = await stack.startApi('api-b', {}, buildB);
    await stack.makeCurrent('build-b');
    const { connection } = await clusterTemporalClient(stack);
    const build = async (buildId: string) =>
      (await deploymentBuilds(connection, stack.temporal.namespace)).find(
        (entry) => entry.buildId === buildId,
      );
    expect(await build('build-b')).toMatchObject({ current: true });

    // A new release (of another service: a newer one of edm-web would supersede the waiting one)
    // goes to B; B's API decides the waiting one, which A's workers finish.
    const fresh = await start(apiB.url, 'edm-sender', '2.1.0');
    expect((await waitFor(fresh, ['awaiting-approval', ...ENDED], 120_000, apiB.url)).status).toBe(
      'awaiting-approval',
    );
    await expectFinishedOn(waiting, 'build-a', 0);
    await expectFinishedOn(fresh, 'build-b', 1);

    // Nothing runs on A any more: its drainage says so, and its workers may stop.
    const deadline = Date.now() + 90_000;
    let buildA = await build('build-a');
    while (buildA?.drainage !== 'drained' && Date.now() < deadline) {
      await delay(1_000);
      buildA = await build('build-a');
    }
    expect(buildA).toMatchObject({ current: false, drainage: 'drained' });
    expect(workerB.pid).toBeDefined();
    await connection.close();
  });
});
