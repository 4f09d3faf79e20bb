// Where the bundled demo target listens, read from the configuration so the two never disagree:
// each environment's edm-web URL is its proxy; the colours take the next two ports; the agent's
// control URL is the environments' `agent` variable. edm-sender's URL is its proxy too, and its
// instances (`vars.instances`, 4 by default) take the ports right after it.
import type { RunwayConfig } from '../config/config-schema.js';
import type { DemoEnvironmentPorts } from '../demo/target/demo-target.js';

export const DEMO_SERVICE = 'edm-web';
/** The demo's service updated instance by instance (R-RB-ROLLING). */
export const DEMO_ROLLING_SERVICE = 'edm-sender';
export const DEFAULT_SENDER_INSTANCES = 4;

export interface DemoTargetLayout {
  controlPort: number;
  environments: DemoEnvironmentPorts[];
}

/** The edm-sender ports of one environment: its proxy, then one port per instance. */
function senderPorts(target: { url: string; vars: Record<string, string> }) {
  const proxyPort = Number(new URL(target.url).port);
  const count = Number(target.vars.instances ?? DEFAULT_SENDER_INSTANCES);
  if (!Number.isInteger(count) || count < 1 || count > 16) {
    throw new Error(
      `${DEMO_ROLLING_SERVICE}'s vars.instances must be a number from 1 to 16, got ${target.vars.instances}`,
    );
  }
  return { proxyPort, instancePorts: Array.from({ length: count }, (_, index) => proxyPort + 1 + index) };
}

/**
 * `withSender`: run edm-sender too where the configuration has it (`npm start` does; test stacks
 * only when they release it, since it is four more processes per environment). An edm-sender that
 * names another agent than edm-web's runs elsewhere, not on this target.
 */
export function demoTargetLayout(
  config: RunwayConfig,
  options: { withSender?: boolean } = {},
): DemoTargetLayout {
  const environments: DemoEnvironmentPorts[] = [];
  const agents = new Set<string>();
  for (const environment of Object.values(config.environments)) {
    const target = environment.services[DEMO_SERVICE];
    if (!target) continue;
    const proxyPort = Number(new URL(target.url).port);
    const configured = environment.services[DEMO_ROLLING_SERVICE];
    const sender =
      options.withSender && configured?.vars.agent === target.vars.agent ? configured : undefined;
    environments.push({
      name: environment.name,
      proxyPort,
      colourPorts: { blue: proxyPort + 1, green: proxyPort + 2 },
      ...(sender ? { sender: senderPorts(sender) } : {}),
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
