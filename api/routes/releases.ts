// /api/v1/releases: plan or start a release, list releases, read one.
import { z } from '@hono/zod-openapi';
import { createRouter } from '../app-env.js';
import { errorResponsesFor } from '../error-responses.js';
import { planJson, releaseJson, releaseSummaryJson } from '../release-json.js';
import {
  DryRunSchema,
  IdempotencyHeadersSchema,
  ListReleasesQuerySchema,
  ReleaseIdParamsSchema,
  ReleaseListSchema,
  ReleaseSchema,
  StartReleaseSchema,
} from '../release-schemas.js';
import type { ReleaseService, StartRequest } from '../release-service.js';
import { defineRoute } from '../route-roles.js';

const startRelease = defineRoute({
  method: 'post',
  path: '/',
  tags: ['releases'],
  summary: 'Start a release, or dry-run it to see the resolved plan',
  description:
    'regular, hotfix and emergency ship a `version`; config-change applies a `configRevision` (a configuration bundle the service declares) with `reason`, `impact` and `rollbackPlan`. Versions follow R-SEMVER against what production runs, as its target says (asked through a worker): regular and emergency must be greater, a hotfix a PATCH bump (422 `invalid_release` naming the rule and the running version, as for a service the configuration does not know; 422 when the target cannot say what it runs, except for an emergency, which goes ahead; 503 when no worker answers; anything goes while nothing runs). A dry run answers the same and reports the rule in `versionRule`. Starts are limited per identity (`api.startRateLimit` in runway.yml, by default a burst of 30, then 30 a minute): beyond that 429 with `Retry-After`. A start the service lock refuses (409) and a dry run spend none of it.',
  role: 'deploy',
  furtherCheck: 'deploy in every environment the release deploys to (a dry run answers the same)',
  request: {
    headers: IdempotencyHeadersSchema,
    body: { required: true, content: { 'application/json': { schema: StartReleaseSchema } } },
  },
  responses: {
    200: {
      description:
        'Dry run: the plan the release would walk; nothing was started. Or, for a retry with an Idempotency-Key whose release already started: that release as it is now.',
      content: { 'application/json': { schema: z.union([DryRunSchema, ReleaseSchema]) } },
    },
    201: {
      description: 'The release started.',
      headers: { Location: { schema: { type: 'string' }, description: 'The new release.' } },
      content: { 'application/json': { schema: ReleaseSchema } },
    },
    ...errorResponsesFor(400, 401, 403, 409, 413, 415, 422, 429, 500, 503),
  },
});

const listReleases = defineRoute({
  method: 'get',
  path: '/',
  tags: ['releases'],
  summary: 'List releases, newest first',
  role: 'read',
  furtherCheck: 'lists only releases that touch an environment the caller reads',
  request: { query: ListReleasesQuerySchema },
  responses: {
    200: { description: 'The releases.', content: { 'application/json': { schema: ReleaseListSchema } } },
    ...errorResponsesFor(400, 401, 403, 500),
  },
});

const getRelease = defineRoute({
  method: 'get',
  path: '/{id}',
  tags: ['releases'],
  summary: 'One release: status, current step, pending gate, steps, approvals',
  role: 'read',
  furtherCheck: 'read in an environment the release touches, else 404',
  request: { params: ReleaseIdParamsSchema },
  responses: {
    200: { description: 'The release.', content: { 'application/json': { schema: ReleaseSchema } } },
    ...errorResponsesFor(400, 401, 403, 404, 500),
  },
});

type StartBody = z.infer<typeof StartReleaseSchema>;

/** The body as the starter takes it: a config-change carries its revision where the others carry a version. */
function startRequestOf(body: StartBody): StartRequest {
  const { type, service, changeRef } = body;
  const fields = { type, service, ...(changeRef === undefined ? {} : { changeRef }) };
  if (body.type !== 'config-change') return { ...fields, version: body.version };
  const { configRevision, reason, impact, rollbackPlan } = body;
  return {
    ...fields,
    version: configRevision,
    configChange: { configRevision, reason, impact, rollbackPlan },
  };
}

export function releaseRoutes(service: ReleaseService) {
  const temporalUrlFor = (releaseId: string) => service.temporalUrl(releaseId);
  const router = createRouter();

  router.openapi(startRelease, async (c) => {
    const { dryRun, ...body } = c.req.valid('json');
    const request = startRequestOf(body);
    const principal = c.get('principal');
    if (dryRun) {
      const plan = await service.plan(request, principal);
      const versionRule = await service.reportVersionRule(request, plan);
      const windowEstimates = await service.estimateWindows(plan, new Date());
      return c.json({ dryRun: true as const, plan: planJson(plan), windowEstimates, versionRule }, 200);
    }
    const key = c.req.valid('header')['idempotency-key'];
    const { release, created } = key
      ? await service.startWithKey(request, principal, key)
      : { release: await service.start(request, principal), created: true };
    c.header('Location', `${c.req.path.replace(/\/$/, '')}/${encodeURIComponent(release.id)}`);
    return c.json(releaseJson(release, temporalUrlFor), created ? 201 : 200);
  });

  router.openapi(listReleases, async (c) => {
    const rows = await service.list(c.req.valid('query'), c.get('principal'));
    return c.json({ releases: rows.map((row) => releaseSummaryJson(row, temporalUrlFor)) }, 200);
  });

  router.openapi(getRelease, async (c) => {
    const { id } = c.req.valid('param');
    const release = await service.get(id, c.get('principal'));
    return c.json(releaseJson(release, temporalUrlFor), 200);
  });

  return router;
}
