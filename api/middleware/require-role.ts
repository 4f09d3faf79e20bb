// A first, coarse role check for a route (R-AUTH). Where the answer depends on the environments a
// release touches, ReleaseService checks again, precisely, once it knows them.
import type { MiddlewareHandler } from 'hono';
import type { AccessRole } from '../../workflows/release-model.js';
import type { AppEnv } from '../app-env.js';
import { ForbiddenError } from '../service-errors.js';

export function requireRoleAnywhere(role: AccessRole): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const principal = c.get('principal');
    if (!principal.hasRoleAnywhere(role)) {
      throw new ForbiddenError(`${principal.name} has the ${role} role in no environment`);
    }
    await next();
  };
}
