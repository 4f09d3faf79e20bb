// Loads and validates the whole configuration at start-up; a bad file stops the process with a
// message naming the file, the path inside it and what was expected (R-INPUT).
import { readdir } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { ConfigError } from './config-error.js';
import {
  type EnvironmentConfig,
  environmentSchema,
  type RunwayConfig,
  type RunwaySettings,
  runwaySettingsSchema,
  type ServiceConfig,
  serviceSchema,
} from './config-schema.js';
import { projectRoot } from './project-root.js';
import { readYamlFile } from './read-yaml-file.js';
import { registerRunwayVariables, runwayVariablesHandedOut } from './runway-variables.js';

export const DEFAULT_CONFIG_DIR = join(projectRoot, 'config');

async function yamlFilesIn(dir: string): Promise<string[]> {
  const entries = await readdir(dir).catch(() => [] as string[]);
  return entries
    .filter((entry) => entry.endsWith('.yml') || entry.endsWith('.yaml'))
    .sort()
    .map((entry) => join(dir, entry));
}

const stem = (file: string) => basename(file).replace(/\.ya?ml$/, '');

async function loadNamed<T extends { name: string }>(
  files: string[],
  load: (file: string) => Promise<T>,
): Promise<Record<string, T>> {
  const loaded: Record<string, T> = {};
  for (const file of files) {
    const item = await load(file);
    if (item.name !== stem(file)) {
      throw new ConfigError(file, [{ path: 'name', message: `expected "${stem(file)}" (the file's name)` }]);
    }
    loaded[item.name] = item;
  }
  return loaded;
}

/** Cross-file rules: grants name known identities, environments name services that exist. */
function checkReferences(
  dir: string,
  identities: Set<string>,
  environments: Record<string, EnvironmentConfig>,
  services: Record<string, ServiceConfig>,
): void {
  for (const environment of Object.values(environments)) {
    const problems: { path: string; message: string }[] = [];
    for (const identity of Object.keys(environment.grants)) {
      if (!identities.has(identity)) {
        problems.push({ path: `grants.${identity}`, message: 'expected an identity declared in runway.yml' });
      }
    }
    for (const service of Object.keys(environment.services)) {
      if (!services[service]) {
        problems.push({
          path: `services.${service}`,
          message: `expected a service file services/${service}.yml`,
        });
      }
    }
    if (problems.length > 0)
      throw new ConfigError(join(dir, 'environments', `${environment.name}.yml`), problems);
  }
}

/**
 * Certificate files runway.yml names are taken from the configuration folder, where calendar.yml is
 * too: the same configuration works whatever folder a process starts in.
 */
function resolveSettingsFiles(settings: RunwaySettings, dir: string): void {
  const { api, temporal } = settings;
  if (api.tls) {
    api.tls = { certFile: resolve(dir, api.tls.certFile), keyFile: resolve(dir, api.tls.keyFile) };
  }
  if (temporal.tls) {
    temporal.tls = {
      ...temporal.tls,
      caFile: resolve(dir, temporal.tls.caFile),
      certFile: resolve(dir, temporal.tls.certFile),
      keyFile: resolve(dir, temporal.tls.keyFile),
    };
  }
}

export async function loadConfig(dir: string = DEFAULT_CONFIG_DIR): Promise<RunwayConfig> {
  const settings = await readYamlFile(join(dir, 'runway.yml'), runwaySettingsSchema);
  resolveSettingsFiles(settings, dir);
  const environments = await loadNamed(await yamlFilesIn(join(dir, 'environments')), (file) =>
    readYamlFile(file, environmentSchema),
  );
  const services = await loadNamed(await yamlFilesIn(join(dir, 'services')), (file) =>
    readYamlFile(file, serviceSchema),
  );
  if (Object.keys(environments).length === 0) {
    throw new ConfigError(join(dir, 'environments'), [
      { path: '', message: 'expected at least one environment file' },
    ]);
  }
  checkReferences(dir, new Set(settings.identities.map((identity) => identity.name)), environments, services);
  const handedOut = runwayVariablesHandedOut({ settings, environments, services });
  const first = handedOut[0];
  if (first) {
    throw new ConfigError(
      join(dir, 'services', `${first.service}.yml`),
      handedOut.filter((problem) => problem.service === first.service),
    );
  }
  // A command is refused Runway's own variables at spawn too (activities/drivers/command-runner.ts).
  registerRunwayVariables(settings);
  return { settings, environments, services, calendarFile: join(dir, 'calendar.yml') };
}
