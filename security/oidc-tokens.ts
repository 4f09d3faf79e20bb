// The access tokens of Temporal Web's signed-in users (R-AUTH). With TEMPORAL_CODEC_PASS_ACCESS_TOKEN,
// Temporal Web sends the user's token from its identity provider to the codec endpoint; this checks
// it against the provider's published keys and names the Runway identity it belongs to. The token
// itself is never kept, logged or echoed: only the claim that names the person.
import { createRemoteJWKSet, errors, type JWTVerifyGetKey, jwtVerify } from 'jose';
import { z } from 'zod';
import type { CodecOidcSettings } from '../config/config-schema.js';

/**
 * Asymmetric signatures only: with an HMAC algorithm the provider's public key would become a
 * shared secret anyone can sign with, and `none` signs nothing.
 */
export const OIDC_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
];

/** Clocks of the provider and of Runway's host may disagree a little; more would extend a token's life. */
const CLOCK_TOLERANCE_SECONDS = 30;
const DEFAULT_FETCH_TIMEOUT_MS = 5_000;
/** Keys are re-read this often; a key the provider just rotated in is fetched at once (jose's cooldown). */
const KEYS_CACHE_MS = 10 * 60_000;
const KEYS_REFETCH_COOLDOWN_MS = 30_000;

/** Three base64url parts: what a signed JWT looks like, as opposed to a Runway token. */
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
export const looksLikeJwt = (token: string): boolean => JWT_SHAPE.test(token);

/** The token is not one to trust (401): the message says why, never what it held. */
export class OidcTokenRejected extends Error {
  override name = 'OidcTokenRejected';
}

/** The provider's keys could not be read, so no token can be checked now (503). */
export class OidcKeysUnavailable extends Error {
  override name = 'OidcKeysUnavailable';
}

export interface OidcIdentification {
  /** The claim value that names the person. */
  subject: string;
  /** Undefined: a valid token of a person no identity in runway.yml names. */
  identity: string | undefined;
}

export interface OidcVerifier {
  /** Throws OidcTokenRejected or OidcKeysUnavailable. */
  identify(token: string): Promise<OidcIdentification>;
}

export interface OidcVerifierOptions {
  /** How long a fetch of the discovery document or the keys may take. */
  timeoutMs?: number;
}

const DiscoverySchema = z.object({ issuer: z.string(), jwks_uri: z.url({ protocol: /^https?$/ }) });

/** What went wrong with a fetch, in a few words (fetch hides the network error in its cause). */
function fetchFailure(error: unknown): string {
  if (error instanceof errors.JWKSTimeout) return 'timed out';
  if (error instanceof Error && error.name === 'TimeoutError') return 'timed out';
  const cause = error instanceof Error ? (error.cause as { code?: string } | undefined) : undefined;
  if (cause?.code) return cause.code;
  return error instanceof Error ? error.message : String(error);
}

/** OpenID Connect Discovery 1.0: the issuer publishes where its keys are. */
async function discoverKeysUrl(issuer: string, timeoutMs: number): Promise<URL> {
  const url = `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
  let response: Response;
  try {
    response = await fetch(url, {
      signal: AbortSignal.timeout(timeoutMs),
      headers: { accept: 'application/json' },
    });
  } catch (error) {
    throw new OidcKeysUnavailable(`cannot read ${url}: ${fetchFailure(error)}`);
  }
  if (!response.ok) throw new OidcKeysUnavailable(`${url} answered ${response.status}`);
  const document = DiscoverySchema.safeParse(await response.json().catch(() => undefined));
  if (!document.success) throw new OidcKeysUnavailable(`${url} holds no jwks_uri`);
  // The discovery spec requires it; otherwise one provider could speak for another.
  if (document.data.issuer !== issuer) {
    throw new OidcKeysUnavailable(
      `${url} names the issuer ${document.data.issuer}, not ${issuer}: set codec.oidc.issuer to it exactly`,
    );
  }
  return new URL(document.data.jwks_uri);
}

const isKeyMismatch = (error: unknown) =>
  error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys;

/**
 * The provider's key set, found (once) and cached by jose. A failed discovery is forgotten, so the
 * next request tries again once the provider is back.
 */
function providerKeys(settings: CodecOidcSettings, timeoutMs: number): JWTVerifyGetKey {
  let remote: Promise<{ url: URL; keys: JWTVerifyGetKey }> | undefined;
  const load = async () => {
    const url = settings.jwksUrl
      ? new URL(settings.jwksUrl)
      : await discoverKeysUrl(settings.issuer, timeoutMs);
    const keys = createRemoteJWKSet(url, {
      timeoutDuration: timeoutMs,
      cacheMaxAge: KEYS_CACHE_MS,
      cooldownDuration: KEYS_REFETCH_COOLDOWN_MS,
    });
    return { url, keys };
  };
  return async (header, token) => {
    remote ??= load().catch((error: unknown) => {
      remote = undefined;
      throw error;
    });
    const { url, keys } = await remote;
    try {
      return await keys(header, token);
    } catch (error) {
      if (isKeyMismatch(error)) throw error;
      throw new OidcKeysUnavailable(`cannot read the signing keys at ${url.href}: ${fetchFailure(error)}`);
    }
  };
}

/** Why a token was refused, for the person holding it. */
function rejectionReason(error: errors.JOSEError, settings: CodecOidcSettings): string {
  if (error instanceof errors.JWTExpired) return 'it has expired: sign in to Temporal Web again';
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.reason === 'missing') return `it has no "${error.claim}" claim`;
    if (error.claim === 'aud') return `its audience is not ${settings.audience}`;
    if (error.claim === 'iss') return `it was not issued by ${settings.issuer}`;
    return `its "${error.claim}" claim is not acceptable (${error.reason})`;
  }
  // By code: jose's other error classes have JOSEError's shape, so instanceof would narrow to never.
  switch (error.code) {
    case errors.JOSEAlgNotAllowed.code:
      return `its algorithm is not accepted (expected one of ${OIDC_ALGORITHMS.join(', ')})`;
    case errors.JWSSignatureVerificationFailed.code:
    case errors.JWKSNoMatchingKey.code:
    case errors.JWKSMultipleMatchingKeys.code:
      return `its signature does not verify with the keys of ${settings.issuer}`;
    case errors.JWSInvalid.code:
    case errors.JWTInvalid.code:
      return 'it is not a well-formed JWT';
    default:
      return error.message;
  }
}

/**
 * Checks tokens from the provider in settings; `identities` (from runway.yml) say whose claim value
 * is which identity.
 */
export function createOidcVerifier(
  settings: CodecOidcSettings,
  identities: readonly { name: string; oidcSubject?: string | undefined }[],
  options: OidcVerifierOptions = {},
): OidcVerifier {
  const keys = providerKeys(settings, options.timeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS);
  const identityOf = new Map(
    identities.flatMap((identity) => (identity.oidcSubject ? [[identity.oidcSubject, identity.name]] : [])),
  );
  return {
    async identify(token) {
      let claims: Record<string, unknown>;
      try {
        ({ payload: claims } = await jwtVerify(token, keys, {
          issuer: settings.issuer,
          audience: settings.audience,
          algorithms: OIDC_ALGORITHMS,
          clockTolerance: CLOCK_TOLERANCE_SECONDS,
          // A token without an expiry would be good for ever.
          requiredClaims: ['exp', settings.identityClaim],
        }));
      } catch (error) {
        if (error instanceof errors.JOSEError) {
          throw new OidcTokenRejected(`the access token was refused: ${rejectionReason(error, settings)}`);
        }
        throw error;
      }
      const subject = claims[settings.identityClaim];
      if (typeof subject !== 'string' || subject === '') {
        throw new OidcTokenRejected(
          `the access token was refused: its "${settings.identityClaim}" claim is not a string`,
        );
      }
      return { identity: identityOf.get(subject), subject };
    },
  };
}
