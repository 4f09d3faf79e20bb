// The services Runway releases, as the API's configuration declares them, and where each runs —
// only the environments the caller reads.
import type { RunwayConfig } from '../../config/config-schema.js';
import type { Principal } from '../principal.js';

export interface ServiceEntry {
  name: string;
  description: string | null;
  strategy: 'blue-green' | 'rolling';
  /** Where the service runs and the caller reads, in the configuration's order. */
  environments: string[];
}

/** Services sorted by name; a service the caller reads nowhere is left out. */
export function servicesReadBy(
  config: Pick<RunwayConfig, 'services' | 'environments'>,
  principal: Principal,
): ServiceEntry[] {
  const readable = Object.values(config.environments).filter((environment) =>
    principal.rolesIn(environment.name).includes('read'),
  );
  return Object.values(config.services)
    .map((service) => ({
      name: service.name,
      description: service.description ?? null,
      strategy: service.deploy.strategy,
      environments: readable
        .filter((environment) => Object.hasOwn(environment.services, service.name))
        .map((environment) => environment.name),
    }))
    .filter((service) => service.environments.length > 0)
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
