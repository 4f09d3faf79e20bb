// R-AUTH: every call under /api/v1 carries a bearer token naming one identity from runway.yml.
import { timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import type { RunwayConfig } from '../../config/config-schema.js';
import type { AppEnv } from '../app-env.js';
import { errorJson } from '../error-responses.js';
import { identityDigests, principalFor, tokenDigest } from '../principal.js';

export interface BearerAuthOptions {
  /** token → identity name, as tokensFromEnvironment reads them; digests come from the config. */
  tokens: ReadonlyMap<string, string>;
  config: RunwayConfig;
}

// RFC 6750 b64token; anything else in the header is not a bearer token.
const BEARER = /^Bearer +([A-Za-z0-9._~+/-]+=*)$/i;

export function bearerAuth(options: BearerAuthOptions): MiddlewareHandler<AppEnv> {
  // Only digests are kept: equal-length values compare in constant time, the tokens themselves are
  // not held by the middleware, and runway.yml may hold a digest instead of naming a variable.
  const identities = identityDigests(options.config, options.tokens);

  const identify = (token: string): string | undefined => {
    const digest = tokenDigest(token);
    let name: string | undefined;
    // No early exit: how long this takes must not say which identity, if any, matched.
    for (const identity of identities) {
      if (timingSafeEqual(digest, identity.digest)) name ??= identity.name;
    }
    return name;
  };

  return async (c, next) => {
    const match = BEARER.exec(c.req.header('Authorization')?.trim() ?? '');
    const token = match?.[1];
    if (!token) {
      c.header('WWW-Authenticate', 'Bearer realm="runway"');
      return errorJson(c, 401, {
        code: 'unauthorized',
        message: 'a bearer token is required (Authorization: Bearer <token>)',
      });
    }
    const name = identify(token);
    if (!name) {
      c.header('WWW-Authenticate', 'Bearer realm="runway", error="invalid_token"');
      return errorJson(c, 401, { code: 'unauthorized', message: 'the bearer token names no identity' });
    }
    c.set('principal', principalFor(name, options.config));
    await next();
  };
}
