// Who calls the codec endpoint in production (R-AUTH): a person with a Runway bearer token (the
// CLI, a script), or a person signed in to Temporal Web, whose browser passes on the access token
// of the identity provider (TEMPORAL_CODEC_PASS_ACCESS_TOKEN). Either way the caller becomes one
// identity from runway.yml, and the role checks that follow do not care which way it came.
import { timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import type { RunwayConfig } from '../../config/config-schema.js';
import {
  looksLikeJwt,
  OidcKeysUnavailable,
  OidcTokenRejected,
  type OidcVerifier,
} from '../../security/oidc-tokens.js';
import type { AppEnv } from '../app-env.js';
import { errorJson } from '../error-responses.js';
import { identityDigests, principalFor, tokenDigest } from '../principal.js';
import { bearerAuth } from './bearer-auth.js';

export interface CodecAuthOptions {
  /** token → identity name, as for the API. */
  tokens: ReadonlyMap<string, string>;
  config: RunwayConfig;
  /** Present when runway.yml configures codec.oidc. */
  oidc: OidcVerifier | undefined;
}

// RFC 6750 b64token, as bearer-auth.ts reads it.
const BEARER = /^Bearer +([A-Za-z0-9._~+/-]+=*)$/i;
/** How long Temporal Web should wait before asking again when the provider's keys are unreachable. */
const KEYS_RETRY_AFTER_SECONDS = 30;

export function codecAuth(options: CodecAuthOptions): MiddlewareHandler<AppEnv> {
  const runwayAuth = bearerAuth(options);
  const { oidc, config } = options;
  if (!oidc) return runwayAuth;
  const digests = identityDigests(config, options.tokens);
  // Runway's own tokens first, so that one of them shaped like a JWT still works.
  const isRunwayToken = (token: string) => {
    const digest = tokenDigest(token);
    return digests.reduce((found, identity) => timingSafeEqual(digest, identity.digest) || found, false);
  };

  return async (c, next) => {
    const token = BEARER.exec(c.req.header('Authorization')?.trim() ?? '')?.[1];
    if (!token || !looksLikeJwt(token) || isRunwayToken(token)) return runwayAuth(c, next);
    try {
      const { identity, subject } = await oidc.identify(token);
      if (!identity) {
        return errorJson(c, 403, {
          code: 'forbidden',
          message: `${subject} is no Runway identity: give one identity in runway.yml oidcSubject: ${subject}`,
        });
      }
      c.set('principal', principalFor(identity, config));
    } catch (error) {
      if (error instanceof OidcTokenRejected) {
        c.header('WWW-Authenticate', 'Bearer realm="runway", error="invalid_token"');
        return errorJson(c, 401, { code: 'unauthorized', message: error.message });
      }
      if (error instanceof OidcKeysUnavailable) {
        // Not 401: the token may be perfectly good, and signing in again would not help.
        c.header('Retry-After', String(KEYS_RETRY_AFTER_SECONDS));
        return errorJson(c, 503, {
          code: 'unavailable',
          message: `cannot check the access token now: ${error.message}`,
        });
      }
      throw error;
    }
    await next();
  };
}
