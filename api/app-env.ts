// The typed context every Runway route and middleware shares, and the router they are built on.
import { OpenAPIHono } from '@hono/zod-openapi';
import { validationHook } from './error-responses.js';
import type { Principal } from './principal.js';

export interface AppEnv {
  Variables: {
    requestId: string;
    /** Set by the bearer-auth middleware; present on every route under /api/v1. */
    principal: Principal;
  };
}

/**
 * Every router gets the same validation hook, so a bad body, query or path answers the same 400
 * wherever it is mounted (and even before it is mounted, as in a test of one router).
 */
export function createRouter(): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
}
