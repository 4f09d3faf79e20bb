// Runway's own environment variables — its keys, its database URL, its tokens, its alert channels'
// secrets — are never handed to a command a runbook runs (R-SECRETS). A child process can read its
// parent's environment through /proc anyway, which is why commands themselves only ever come from
// configuration (activities/run-authority.ts); this keeps a configured command from being given
// Runway's secrets by name, and refuses configuration that tries.
import { secretVariableFor } from './command-template.js';
import type { RunwayConfig } from './config-schema.js';

/** Every variable of Runway's own carries this prefix, or is named in runway.yml (see below). */
const RUNWAY_PREFIX = 'RUNWAY_';
/** Names runway.yml gives its own secrets, registered when a process loads its configuration. */
const registered = new Set<string>();

/** The variables runway.yml names for Runway itself: database URL, identities' tokens, alert channels. */
export function runwayVariablesOf(settings: RunwayConfig['settings']): string[] {
  const names = [settings.database.urlEnv];
  for (const identity of settings.identities) if (identity.tokenEnv) names.push(identity.tokenEnv);
  for (const channel of Object.values(settings.alerts.channels)) {
    if ('urlEnv' in channel) names.push(channel.urlEnv);
    if (channel.type === 'email') {
      if (channel.smtp.userEnv) names.push(channel.smtp.userEnv);
      if (channel.smtp.passwordEnv) names.push(channel.smtp.passwordEnv);
    }
  }
  return names;
}

export function registerRunwayVariables(settings: RunwayConfig['settings']): void {
  for (const name of runwayVariablesOf(settings)) registered.add(name);
}

export function isRunwayVariable(name: string): boolean {
  return name.startsWith(RUNWAY_PREFIX) || registered.has(name);
}

/**
 * Where a service's configuration would hand Runway's own variables to a command (envFrom, a
 * database's urlEnv), per environment the service runs in; empty when it does not.
 */
export function runwayVariablesHandedOut(
  config: Pick<RunwayConfig, 'settings' | 'environments' | 'services'>,
) {
  const own = new Set(runwayVariablesOf(config.settings));
  const problems: { service: string; path: string; message: string }[] = [];
  for (const service of Object.values(config.services)) {
    const environments = Object.values(config.environments)
      .filter((environment) => environment.services[service.name])
      .map((environment) => environment.name);
    visitSources(service, '', (path, source) => {
      for (const environment of environments) {
        const variable = secretVariableFor(source, environment);
        if (variable.startsWith(RUNWAY_PREFIX) || own.has(variable)) {
          problems.push({
            service: service.name,
            path,
            message: `${variable} (${environment}) is one of Runway's own variables: commands never get them`,
          });
          return;
        }
      }
    });
  }
  return problems;
}

/** Each secret source in a service's config: envFrom values and urlEnv, with their paths. */
function visitSources(value: unknown, path: string, see: (path: string, source: string) => void): void {
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) visitSources(item, `${path}${path ? '.' : ''}${index}`, see);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  for (const [key, member] of Object.entries(value)) {
    const at = `${path}${path ? '.' : ''}${key}`;
    if (key === 'urlEnv' && typeof member === 'string') see(at, member);
    else if (key === 'envFrom' && member && typeof member === 'object') {
      for (const [name, source] of Object.entries(member))
        if (typeof source === 'string') see(`${at}.${name}`, source);
    } else visitSources(member, at, see);
  }
}
