// Post-hoc duties and supersession on the real stack (R-POSTHOC, R-EXPIRE): the API, a worker, Temporal
// and PostgreSQL. The hotfix runbook here is one approval long, so a release reaches `awaiting-docs`
// within seconds; the full hotfix path runs in its own suite.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { principalFor } from '../../api/principal.js';
import { ConflictError } from '../../api/service-errors.js';
import { supersedeHeldRelease } from '../../api/services/release-supersession.js';
import { findLockHolder } from '../../db/release-records.js';
import { createLogger } from '../../logging/logger.js';
import { releaseApi } from '../support/release-api.js';
import { releaseWorkflowBundle } from '../support/release-workflow-bundle.js';
import { startTestStack, type TestStack } from '../support/runway-stack.js';
import { testDecisionKeys } from '../support/signed-decisions.js';

const HOTFIX = `type: hotfix
description: "One approval, then the documentation it owes."
steps:
  - id: hotfix-approval
    name: Hotfix approval (tech lead)
    kind: approval
    environment: production
    quorum: [tech-lead]
`;

let stack: TestStack;
let runbookDir: string;

beforeAll(async () => {
  runbookDir = await mkdtemp(join(tmpdir(), 'runway-oversight-runbooks-'));
  await writeFile(join(runbookDir, 'hotfix.yml'), HOTFIX);
  stack = await startTestStack(await releaseWorkflowBundle(), { runbookDir });
});

afterAll(async () => {
  await stack?.stop();
  if (runbookDir) await rm(runbookDir, { recursive: true, force: true });
});

const { api, getRelease, waitForStatus } = releaseApi(() => stack);

/** A hotfix of edm-web waiting at its approval. */
async function hotfixAtGate(version: string): Promise<string> {
  const started = await api('POST', '/releases', 'ops-wang', { type: 'hotfix', service: 'edm-web', version });
  expect(started.status, JSON.stringify(started.body)).toBe(201);
  const id = started.body.id as string;
  await waitForStatus(id, ['awaiting-approval']);
  return id;
}

describe('the documentation a hotfix owes (R-POSTHOC)', () => {
  it('waits awaiting-docs without the lock until the requester or a production deployer attaches the link', async () => {
    const id = await hotfixAtGate('1.0.1');
    const postmortem = (as: string, body: unknown) => api('POST', `/releases/${id}/postmortem`, as, body);
    const link = 'https://wiki.example.com/hotfix/edm-web-1.0.1';
    expect((await postmortem('ops-wang', { link })).status).toBe(409);
    expect((await api('POST', `/releases/${id}/approvals`, 'tl-zhang', { decision: 'approve' })).status).toBe(
      202,
    );
    const owing = await waitForStatus(id, ['awaiting-docs']);
    expect(owing.postHoc).toMatchObject({ duty: 'documentation', reminders: 0, attached: null });
    expect(owing.finishedAt).toBeNull();
    expect(await findLockHolder(stack.runway.pool, 'edm-web')).toBeUndefined();

    expect((await postmortem('ops-wang', { link: 'ftp://wiki.example.com/x' })).status).toBe(400);
    expect((await postmortem('dev-chen', { link })).status).toBe(403);
    const attached = await postmortem('ops-wang', { link, note: 'cache stampede after the 1.0.0 rollout' });
    expect(attached.status, JSON.stringify(attached.body)).toBe(202);
    expect(attached.body).toMatchObject({ accepted: true, link });

    const done = await waitForStatus(id, ['succeeded']);
    expect(done.postHoc?.attached).toMatchObject({
      link,
      by: 'ops-wang',
      note: 'cache stampede after the 1.0.0 rollout',
    });
    expect(done.decisions.at(-1)).toMatchObject({ decision: 'document', outcome: 'counted' });
    const again = await postmortem('oncall-zhou', { link });
    expect(again.status).toBe(409);
    expect(JSON.stringify(again.body)).toContain('already has its documentation');
  });
});

describe('supersession (R-EXPIRE)', () => {
  it('ends a release waiting at its gate superseded and lets go of the lock; refuses once it has ended', async () => {
    const id = await hotfixAtGate('1.0.2');
    const holder = await findLockHolder(stack.runway.pool, 'edm-web');
    expect(holder?.id).toBe(id);
    const deps = {
      client: stack.runway.client,
      pool: stack.runway.pool,
      logger: createLogger('supersession-test', { level: 'silent' }),
      decisionKeys: testDecisionKeys,
    };
    const by = principalFor('oncall-zhou', stack.config);
    await supersedeHeldRelease(deps, holder as NonNullable<typeof holder>, by, 'edm-web-hotfix-1.0.3-newer');
    expect(await findLockHolder(stack.runway.pool, 'edm-web')).toBeUndefined();
    const ended = await waitForStatus(id, ['superseded']);
    expect(ended.supersededBy).toBe('edm-web-hotfix-1.0.3-newer');
    expect(ended.failure?.reason).toContain('superseded by release edm-web-hotfix-1.0.3-newer');
    expect((await getRelease(id)).finishedAt).not.toBeNull();

    await expect(
      supersedeHeldRelease(deps, holder as NonNullable<typeof holder>, by, 'edm-web-hotfix-1.0.4-newer'),
    ).rejects.toBeInstanceOf(ConflictError);
  });
});
