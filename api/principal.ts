// Who is calling: an identity from runway.yml, holding per-environment roles from the grants (R-AUTH).
import { createHash } from 'node:crypto';
import type { RunwayConfig } from '../config/config-schema.js';
import { registerSecret } from '../logging/secret-values.js';
import type { Role } from '../workflows/release-model.js';
import { ForbiddenError } from './service-errors.js';

export interface Principal {
  name: string;
  rolesIn(environment: string): Role[];
  /** Every role the identity holds in at least one environment. */
  rolesAnywhere(): Role[];
}

/** A route about one environment, beyond its own role check: 403 unless the caller reads it. */
export function assertReads(principal: Principal, environment: string): void {
  if (!principal.rolesIn(environment).includes('read')) {
    throw new ForbiddenError(`${principal.name} cannot read ${environment}`);
  }
}

export function principalFor(name: string, config: RunwayConfig): Principal {
  const rolesIn = (environment: string): Role[] => config.environments[environment]?.grants[name] ?? [];
  const rolesAnywhere = (): Role[] => [...new Set(Object.keys(config.environments).flatMap(rolesIn))];
  return {
    name,
    rolesIn,
    rolesAnywhere,
  };
}

/**
 * Reads the token of every identity configured with `tokenEnv` from the variable it names.
 * Identities whose variable is unset simply cannot log in; two identities sharing a token is a
 * configuration error, since a token must name exactly one person. Identities configured with
 * `tokenSha256` have no token here: see identityDigests.
 */
export function tokensFromEnvironment(
  config: RunwayConfig,
  env: NodeJS.ProcessEnv = process.env,
): Map<string, string> {
  const tokens = new Map<string, string>();
  for (const identity of config.settings.identities) {
    if (identity.tokenEnv === undefined) continue;
    const token = env[identity.tokenEnv];
    if (!token) continue;
    if (token.length < 16)
      throw new Error(`${identity.tokenEnv} is too short: tokens need at least 16 characters`);
    if (tokens.has(token)) throw new Error(`${identity.tokenEnv} holds the same token as another identity`);
    registerSecret(token);
    tokens.set(token, identity.name);
  }
  return tokens;
}

export interface IdentityDigest {
  /** SHA-256 of the token: all that bearer auth keeps of it. */
  digest: Buffer;
  name: string;
}

export const tokenDigest = (token: string): Buffer => createHash('sha256').update(token, 'utf8').digest();

/**
 * The digest of every identity's token: those read from the environment, and those runway.yml holds
 * as `tokenSha256`. A digest naming two identities is a configuration error.
 */
export function identityDigests(config: RunwayConfig, tokens: ReadonlyMap<string, string>): IdentityDigest[] {
  const digests = [...tokens].map(([token, name]) => ({ digest: tokenDigest(token), name }));
  for (const identity of config.settings.identities) {
    if (identity.tokenSha256 === undefined) continue;
    const digest = Buffer.from(identity.tokenSha256, 'hex');
    const other = digests.find((entry) => entry.digest.equals(digest));
    if (other) {
      throw new Error(`the tokenSha256 of ${identity.name} is the digest of ${other.name}'s token`);
    }
    digests.push({ digest, name: identity.name });
  }
  return digests;
}
