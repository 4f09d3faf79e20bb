// R-AUTH: every call under /api/v1 carries a bearer token naming one identity from runway.yml.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import type { RunwayConfig } from '../../config/config-schema.js';
import type { AppEnv } from '../app-env.js';
import { errorJson } from '../error-responses.js';
import { principalFor } from '../principal.js';

export interface BearerAuthOptions {
  /** token → identity name, as tokensFromEnvironment reads them. */
  tokens: Map<string, string>;
  config: RunwayConfig;
}

const sha256 = (value: string): Buffer => createHash('sha256').update(value).digest();

// RFC 6750 b64token; anything else in the header is not a bearer token.
const BEARER = /^Bearer +([A-Za-z0-9._~+/-]+=*)$/i;

export function bearerAuth(options: BearerAuthOptions): MiddlewareHandler<AppEnv> {
  // Only digests are kept: equal-length values compare in constant time, and the tokens themselves
  // are not held by the middleware.
  const identities = [...options.tokens].map(([token, name]) => ({ digest: sha256(token), name }));

  const identify = (token: string): string | undefined => {
    const digest = sha256(token);
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
