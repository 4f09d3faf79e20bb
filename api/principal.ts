// Who is calling: an identity from runway.yml, holding per-environment roles from the grants (R-AUTH).
import type { RunwayConfig } from '../config/config-schema.js';
import type { Role } from '../workflows/release-model.js';

export interface Principal {
  name: string;
  rolesIn(environment: string): Role[];
  /** True when the identity holds the role in at least one environment. */
  hasRoleAnywhere(role: Role): boolean;
}

export function principalFor(name: string, config: RunwayConfig): Principal {
  const rolesIn = (environment: string): Role[] => config.environments[environment]?.grants[name] ?? [];
  return {
    name,
    rolesIn,
    hasRoleAnywhere: (role) =>
      Object.keys(config.environments).some((environment) => rolesIn(environment).includes(role)),
  };
}

/**
 * Reads every identity's token from the environment variable runway.yml names for it.
 * Identities whose variable is unset simply cannot log in; two identities sharing a token is a
 * configuration error, since a token must name exactly one person.
 */
export function tokensFromEnvironment(
  config: RunwayConfig,
  env: NodeJS.ProcessEnv = process.env,
): Map<string, string> {
  const tokens = new Map<string, string>();
  for (const identity of config.settings.identities) {
    const token = env[identity.tokenEnv];
    if (!token) continue;
    if (token.length < 16)
      throw new Error(`${identity.tokenEnv} is too short: tokens need at least 16 characters`);
    if (tokens.has(token)) throw new Error(`${identity.tokenEnv} holds the same token as another identity`);
    tokens.set(token, identity.name);
  }
  return tokens;
}
