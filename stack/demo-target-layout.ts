// Where the bundled demo target listens, read from the configuration so the two never disagree:
// each environment's edm-web URL is its proxy; the colours take the next two ports; the agent's
// control URL is the environments' `agent` variable.
import type { RunwayConfig } from '../config/config-schema.js';
import type { DemoEnvironmentPorts } from '../demo/target/demo-target.js';

export const DEMO_SERVICE = 'edm-web';

export interface DemoTargetLayout {
  controlPort: number;
  environments: DemoEnvironmentPorts[];
}

export function demoTargetLayout(config: RunwayConfig): DemoTargetLayout {
  const environments: DemoEnvironmentPorts[] = [];
  const agents = new Set<string>();
  for (const environment of Object.values(config.environments)) {
    const target = environment.services[DEMO_SERVICE];
    if (!target) continue;
    const proxyPort = Number(new URL(target.url).port);
    environments.push({
      name: environment.name,
      proxyPort,
      colourPorts: { blue: proxyPort + 1, green: proxyPort + 2 },
    });
    if (target.vars.agent) agents.add(target.vars.agent);
  }
  const [agent, ...others] = [...agents];
  if (!agent || others.length > 0) {
    throw new Error(
      `every environment's ${DEMO_SERVICE} must name the same demo agent URL (vars.agent); found ${[...agents].join(', ') || 'none'}`,
    );
  }
  return { controlPort: Number(new URL(agent).port), environments };
}
