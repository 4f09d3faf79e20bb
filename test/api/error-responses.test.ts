// Domain errors become statuses in one place, whichever route throws them.
import { OpenAPIHono } from '@hono/zod-openapi';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { AppEnv } from '../../api/app-env.js';
import { handleError } from '../../api/error-responses.js';
import { ConflictError, ForbiddenError, NotFoundError } from '../../api/release-service.js';
import { PlanError } from '../../runbooks/resolve-release-plan.js';

function appThrowing(error: Error) {
  const app = new OpenAPIHono<AppEnv>();
  app.use(async (c, next) => {
    c.set('requestId', 'req-7');
    await next();
  });
  app.get('/', () => {
    throw error;
  });
  app.onError(handleError(pino({ level: 'silent' })));
  return app;
}

describe('handleError', () => {
  it.each([
    [new PlanError('unknown service x'), 422, { code: 'invalid_release', message: 'unknown service x' }],
    [
      new ForbiddenError('no deploy in production'),
      403,
      { code: 'forbidden', message: 'no deploy in production' },
    ],
    [new NotFoundError('no release r-1'), 404, { code: 'not_found', message: 'no release r-1' }],
    [
      new ConflictError('not waiting for approval'),
      409,
      { code: 'conflict', message: 'not waiting for approval' },
    ],
    [
      new ConflictError('release r-0 is still in flight', 'r-0'),
      409,
      { code: 'conflict', message: 'release r-0 is still in flight', activeReleaseId: 'r-0' },
    ],
  ])('maps %s', async (error, status, body) => {
    const response = await appThrowing(error).request('/');
    expect(response.status).toBe(status);
    expect(await response.json()).toEqual({ error: body });
  });

  it('hides anything else behind a 500 carrying the request id', async () => {
    const response = await appThrowing(new TypeError('cannot read secret of undefined')).request('/');
    expect(response.status).toBe(500);
    const body = (await response.json()) as { error: { code: string; message: string; requestId: string } };
    expect(body.error.code).toBe('internal');
    expect(body.error.requestId).toBe('req-7');
    expect(body.error.message).not.toContain('secret');
  });
});
