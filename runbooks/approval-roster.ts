// Who may sit at a gate, frozen into the plan at start (R-APPROVE): everyone granted one of the
// quorum's roles in the gate's environment. The workflow counts a decision only from someone on it,
// so neither a forged message nor a grant added after the start can fill a seat.
import type { RunwayConfig } from '../config/config-schema.js';
import type { Role, RosterEntry } from '../workflows/release-model.js';

export function approvalRoster(config: RunwayConfig, environment: string, quorum: Role[]): RosterEntry[] {
  const grants = config.environments[environment]?.grants ?? {};
  return Object.entries(grants)
    .map(([identity, roles]) => ({
      identity,
      roles: quorum.filter((role, index) => quorum.indexOf(role) === index && roles.includes(role)),
    }))
    .filter((entry) => entry.roles.length > 0)
    .sort((a, b) => a.identity.localeCompare(b.identity));
}
