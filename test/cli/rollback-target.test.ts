// Which release `runway rollback --service S --env E --to previous` undoes, over release views: the
// newest that changed E, never a newer one still on its way there (it is named instead).
import { describe, expect, it } from 'vitest';
import type { Release, ReleaseSummary } from '../../cli/api-types.js';
import {
  changedEnvironment,
  chooseRollbackTarget,
  TARGET_CHANGING_KINDS,
} from '../../cli/rollback-target.js';
import type { PlanStep, ReleaseStatus } from '../../workflows/release-model.js';
import { stepDefinitions } from '../../workflows/steps/step-definitions.js';
import { traitsOf } from '../../workflows/steps/step-kinds.js';

type StepRecord = Release['steps'][number];

function record(id: string, kind: string, environment: string, status: StepRecord['status']): StepRecord {
  return {
    id,
    name: id,
    kind,
    environment,
    status,
    startedAt: '2026-12-06T10:00:00.000Z',
    finishedAt: null,
    durationMs: null,
    error: null,
    detail: null,
  } as StepRecord;
}

interface Made {
  summary: ReleaseSummary;
  view: Release;
}

/** A release of edm-web through TEST, STAGING and production; `ran` its step records so far. */
function release(version: string, status: ReleaseStatus, ran: StepRecord[]): Made {
  const id = `edm-web-regular-${version}-abc123`;
  const summary = {
    id,
    service: 'edm-web',
    version,
    type: 'regular',
    status,
    environments: ['test', 'staging', 'production'],
  } as ReleaseSummary;
  return { summary, view: { ...summary, steps: ran } as unknown as Release };
}

const throughTest = [
  record('migrate-test', 'migrate', 'test', 'succeeded'),
  record('deploy-test', 'deploy', 'test', 'succeeded'),
];
const atApproval = [...throughTest, record('change-approval', 'approval', 'production', 'running')];
const inProduction = [
  ...throughTest,
  record('change-approval', 'approval', 'production', 'succeeded'),
  record('verify-production-before', 'verify', 'production', 'succeeded'),
  record('deploy-production', 'deploy', 'production', 'succeeded'),
];

/** The choice over `made`, newest first, with the views it read. */
async function choose(made: Made[], environment = 'production') {
  const read: string[] = [];
  const views = new Map(made.map(({ summary, view }) => [summary.id, view]));
  const readView = async (id: string) => {
    read.push(id);
    const view = views.get(id);
    if (!view) throw new Error(`no view of ${id}`);
    return view;
  };
  const chosen = await chooseRollbackTarget(
    made.map(({ summary }) => summary),
    readView,
    'edm-web',
    environment,
  );
  return { chosen: chosen.id, read };
}

describe('the release --to previous rolls back', () => {
  it('holds its list of target-changing kinds to the kinds’ own traits', () => {
    const changing = stepDefinitions()
      .map(({ kind }) => kind)
      .filter((kind) => traitsOf({ kind } as Pick<PlanStep, 'kind'>).changesTarget);
    expect([...TARGET_CHANGING_KINDS].sort()).toEqual(changing.sort());
  });

  it('counts a release as having changed an environment once a step changing a target ran there', () => {
    expect(changedEnvironment(release('1.1.0', 'awaiting-approval', atApproval).view, 'production')).toBe(
      false,
    );
    expect(changedEnvironment(release('1.1.0', 'awaiting-approval', atApproval).view, 'test')).toBe(true);
    expect(changedEnvironment(release('1.1.0', 'succeeded', inProduction).view, 'production')).toBe(true);
    const undone = inProduction.map((step) =>
      step.id === 'deploy-production' ? { ...step, status: 'compensated' as const } : step,
    );
    expect(changedEnvironment(release('1.1.0', 'rolled-back', undone).view, 'production')).toBe(true);
    const skipped = inProduction.map((step) =>
      step.environment === 'production' ? { ...step, status: 'skipped' as const } : step,
    );
    expect(changedEnvironment(release('1.1.0', 'succeeded', skipped).view, 'production')).toBe(false);
  });

  it('is the newest release that changed the environment, passing over one that ended before it', async () => {
    const shipped = release('1.1.0', 'succeeded', inProduction);
    const rejected = release('1.2.0', 'rejected', atApproval);
    expect(await choose([rejected, shipped])).toEqual({
      chosen: shipped.summary.id,
      read: [rejected.summary.id, shipped.summary.id],
    });
    // A release deploying there now is the newest there.
    const deploying = release('1.3.0', 'running', [
      ...inProduction.slice(0, -1),
      record('deploy-production', 'deploy', 'production', 'running'),
    ]);
    expect((await choose([deploying, shipped])).chosen).toBe(deploying.summary.id);
    // In TEST, the newest release that deployed there, wherever it is now.
    const waiting = release('1.2.0', 'awaiting-approval', atApproval);
    expect((await choose([waiting, shipped], 'test')).chosen).toBe(waiting.summary.id);
  });

  it('names a newer release still on its way to the environment instead of passing it by', async () => {
    const shipped = release('1.1.0', 'succeeded', inProduction);
    const waiting = release('1.2.0', 'awaiting-approval', atApproval);
    await expect(choose([waiting, shipped])).rejects.toThrow(
      `the newest release of edm-web, ${waiting.summary.id}, is awaiting-approval and has not changed production: to undo it, runway rollback ${waiting.summary.id} --reason "…"`,
    );
  });

  it('says why when the newest release there can no longer be undone, or none changed it', async () => {
    const rolledBack = release('1.1.0', 'rolled-back', inProduction);
    const older = release('1.0.0', 'succeeded', inProduction);
    await expect(choose([rolledBack, older])).rejects.toThrow(
      `no release of edm-web in production can be rolled back: the newest there, ${rolledBack.summary.id}, is rolled-back`,
    );
    await expect(choose([release('1.2.0', 'failed', throughTest)])).rejects.toThrow(
      'no release of edm-web that you can read has changed production: nothing to roll back',
    );
    await expect(choose([])).rejects.toThrow('nothing to roll back');
  });
});
