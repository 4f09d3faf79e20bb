// POST /api/v1/releases/{id}/confirmations (R-CHECKLIST): bad input is a 400 naming the field before
// anything is read; ReleaseConfirmations answers 404, 409 and 403 from the record, and otherwise signs
// a `confirm` claim for the item waiting and leaves the verdict to the workflow. The end-to-end suite
// (test/integration/checklists.test.ts) runs the same paths against a real workflow.
import { beforeAll, describe, expect, it } from 'vitest';
import { principalFor } from '../../api/principal.js';
import { ConflictError, ForbiddenError, NotFoundError } from '../../api/service-errors.js';
import { ReleaseConfirmations } from '../../api/services/release-confirmations.js';
import type { ReleaseReader, ReleaseView } from '../../api/services/release-reader.js';
import type { WorkflowDecisions } from '../../api/services/workflow-decisions.js';
import type { RunwayConfig } from '../../config/config-schema.js';
import { judgeConfirmation } from '../../workflows/approval-quorum.js';
import type { DecisionClaim, PendingGate, ReleasePlan } from '../../workflows/release-model.js';
import { auth, createTestApp, type ErrorJson, jsonAuth, TOKENS } from './api-test-app.js';

let app: Awaited<ReturnType<typeof createTestApp>>['app'];
let config: RunwayConfig;

beforeAll(async () => {
  ({ app, config } = await createTestApp());
});

const PATH = '/api/v1/releases/edm-web-hotfix-1.0.1-a1b2c3/confirmations';

async function post(body: unknown, headers: Record<string, string> = jsonAuth(TOKENS.opsWang)) {
  const response = await app.request(PATH, { method: 'POST', headers, body: JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as ErrorJson };
}

describe('POST /api/v1/releases/{id}/confirmations input', () => {
  it.each([
    [{ stepId: 'user-feedback' }, 'note'],
    [{ stepId: 'user-feedback', note: '' }, 'note'],
    [{ stepId: 'user-feedback', note: '   ' }, 'note'],
    [{ stepId: 'user-feedback', note: 'x'.repeat(501) }, 'note'],
    [{ stepId: 'user-feedback', note: 'nul \u0000 inside' }, 'note'],
    [{ note: 'checked' }, 'stepId'],
    [{ stepId: 'User Feedback', note: 'checked' }, 'stepId'],
    [{ stepId: 'user-feedback', note: 'checked', by: 'tl-zhang' }, 'by'],
  ])('answers 400 naming the field for %j', async (body, field) => {
    const { status, body: answer } = await post(body);
    expect(status).toBe(400);
    expect(new Set(answer.error.issues?.map((issue) => issue.path))).toEqual(new Set([field]));
  });

  it('answers 401 without a token', async () => {
    const { status } = await post(
      { stepId: 'user-feedback', note: 'checked' },
      { 'Content-Type': 'application/json' },
    );
    expect(status).toBe(401);
  });

  it('is in the OpenAPI document, linked from a release and back to it', async () => {
    const response = await app.request('/openapi.json', { headers: auth(TOKENS.devChen) });
    const document = (await response.json()) as {
      paths: Record<
        string,
        Record<string, { responses: Record<string, { links?: Record<string, unknown> }> }>
      >;
    };
    const operation = document.paths['/api/v1/releases/{id}/confirmations']?.post;
    expect(Object.keys(operation?.responses ?? {})).toEqual(
      expect.arrayContaining(['202', '400', '403', '404', '409']),
    );
    expect(operation?.responses['202']?.links).toHaveProperty('GetRelease');
    expect(document.paths['/api/v1/releases/{id}']?.get?.responses['200']?.links).toHaveProperty(
      'ConfirmChecklistItem',
    );
  });
});

const ITEM_PLAN: ReleasePlan = {
  type: 'hotfix',
  description: 'two manual items',
  steps: [
    {
      id: 'smoke-by-hand',
      name: 'smoke',
      environment: 'test',
      kind: 'confirm',
      role: 'deploy',
      roster: [],
      prompt: 'p',
    },
    {
      id: 'user-feedback',
      name: 'feedback',
      environment: 'production',
      kind: 'confirm',
      role: 'tech-lead',
      roster: [],
      prompt: 'p',
    },
  ],
};

const gateAt = (gateId: string): PendingGate => ({
  gateId,
  name: gateId,
  environment: 'production',
  quorum: ['tech-lead'],
  approvals: [],
  missing: ['tech-lead'],
});

/** ReleaseConfirmations over a release record as given, recording the claims it would sign. */
function confirmationsFor(view: Partial<ReleaseView> | undefined) {
  const claims: DecisionClaim[] = [];
  const reader = {
    getForAction: async () =>
      view &&
      ({
        environments: ['test', 'production'],
        finishedAt: null,
        status: 'awaiting-approval',
        plan: ITEM_PLAN,
        pendingGate: null,
        ...view,
      } as ReleaseView),
  } as unknown as ReleaseReader;
  const workflows = {
    liveState: async () => undefined,
    submit: async (claim: DecisionClaim) => {
      claims.push(claim);
      return { outcome: 'counted', decision: 'confirm', seat: 'tech-lead', missing: [] };
    },
  } as unknown as WorkflowDecisions;
  return { service: new ReleaseConfirmations({ reader, workflows }), claims };
}

describe('ReleaseConfirmations', () => {
  const as = (name: string) => principalFor(name, config);
  const request = { stepId: 'user-feedback', note: 'support queue quiet' };

  it('signs a confirm claim for the item waiting, with the caller, their roles there and the note', async () => {
    const { service, claims } = confirmationsFor({ pendingGate: gateAt('user-feedback') });
    const answer = await service.confirm('r-1', as('tl-zhang'), request);
    expect(answer).toEqual({
      counted: true,
      stepId: 'user-feedback',
      confirmedBy: 'tl-zhang',
      role: 'tech-lead',
    });
    expect(claims).toMatchObject([
      {
        releaseId: 'r-1',
        gateId: 'user-feedback',
        actor: 'tl-zhang',
        roles: ['read', 'tech-lead'],
        decision: 'confirm',
        comment: 'support queue quiet',
      },
    ]);
  });

  it('leaves a caller without the role to the workflow while the item waits, so the attempt is recorded', async () => {
    const { service, claims } = confirmationsFor({ pendingGate: gateAt('user-feedback') });
    await service.confirm('r-1', as('pm-li'), request);
    expect(claims.map((claim) => [claim.actor, claim.roles])).toEqual([['pm-li', ['read', 'pm']]]);
  });

  it('answers 404 for an unknown release or one the caller cannot read', async () => {
    await expect(confirmationsFor(undefined).service.confirm('r-1', as('tl-zhang'), request)).rejects.toThrow(
      NotFoundError,
    );
    await expect(
      confirmationsFor({ environments: ['staging'] }).service.confirm('r-1', as('nobody'), request),
    ).rejects.toThrow(NotFoundError);
  });

  it('answers 409 when the item is not the one waiting, is no item, or the release ended; 403 without the role', async () => {
    const waitingElsewhere = confirmationsFor({ pendingGate: gateAt('smoke-by-hand') });
    await expect(waitingElsewhere.service.confirm('r-1', as('tl-zhang'), request)).rejects.toThrow(
      ConflictError,
    );
    await expect(waitingElsewhere.service.confirm('r-1', as('pm-li'), request)).rejects.toThrow(
      ForbiddenError,
    );
    await expect(
      waitingElsewhere.service.confirm('r-1', as('tl-zhang'), { stepId: 'change-approval', note: 'n' }),
    ).rejects.toThrow(/no checklist item change-approval/);
    const ended = confirmationsFor({ finishedAt: new Date(), status: 'succeeded' });
    await expect(ended.service.confirm('r-1', as('tl-zhang'), request)).rejects.toThrow(/has ended/);
    expect(waitingElsewhere.claims).toEqual([]);
  });
});

describe('judgeConfirmation, as the workflow judges a verified confirmation', () => {
  const item = (role: 'deploy' | 'tech-lead') => ({ quorum: [role], approvals: [] });

  it('lets the requester confirm an item of an access role, never one of an approver role', () => {
    expect(judgeConfirmation(item('deploy'), 'ops-wang', ['deploy'], 'ops-wang', 'checked')).toEqual({
      counted: true,
      seat: 'deploy',
    });
    expect(
      judgeConfirmation(item('tech-lead'), 'ops-wang', ['tech-lead'], 'ops-wang', 'checked'),
    ).toMatchObject({
      counted: false,
      refusal: 'requester',
    });
  });

  it('refuses someone without the role on the roster, a second confirmation, and one without a note', () => {
    expect(judgeConfirmation(item('tech-lead'), 'pm-li', [], 'ops-wang', 'checked')).toMatchObject({
      refusal: 'not-eligible',
    });
    const confirmed = {
      quorum: ['tech-lead' as const],
      approvals: [
        { approver: 'tl-zhang', roles: ['tech-lead' as const], seat: 'tech-lead' as const, at: 'x' },
      ],
    };
    expect(judgeConfirmation(confirmed, 'tl-wu', ['tech-lead'], 'ops-wang', 'checked')).toMatchObject({
      refusal: 'already-decided',
    });
    expect(judgeConfirmation(item('tech-lead'), 'tl-zhang', ['tech-lead'], 'ops-wang', '  ')).toMatchObject({
      refusal: 'not-eligible',
    });
  });
});
