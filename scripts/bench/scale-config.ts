// The scale benchmark's configuration, written over a copy of the shipped one (test/crash's
// writeConfig): N stand-in services whose every driver action is one curl call to the stand-in
// target, each placed in TEST and production, and a start rate limit high enough that N starts
// by one identity are not throttled (the shipped 30 a minute would make 500 starts take 16 min).
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';

/** The environments the scale runbook walks; only these get the stand-in services. */
export const SCALE_ENVIRONMENTS = ['test', 'production'] as const;
/** Far above what the benchmark starts, so the limiter never answers 429 in it. */
export const SCALE_START_RATE_LIMIT = { burst: 10_000, perMinute: 10_000 };

export const standInServiceName = (index: number): string => `scale-${String(index + 1).padStart(4, '0')}`;

/**
 * Each action asks the stand-in with the cheapest real process there is, curl: `-sf` makes any
 * refusal (HTTP 4xx) a non-zero exit (22), which the driver reports as a failed action. The
 * stand-in's URL comes from the environment's `agent` variable, as edm-web's agent does.
 */
function curl(method: 'GET' | 'POST', path: string, timeoutSeconds: number) {
  return { argv: ['curl', '-sf', '-X', method, `{agent}/{service}/{environment}/${path}`], timeoutSeconds };
}

export function standInService(name: string) {
  return {
    name,
    description: 'Stand-in service of the scale benchmark: its target is the stand-in process',
    deploy: {
      strategy: 'blue-green',
      driver: {
        type: 'command',
        actions: {
          inspect: curl('GET', 'inspect', 30),
          deploy: curl('POST', 'deploy/{colour}/{version}/{expectedActive}?key={idempotencyKey}', 120),
          check: curl('GET', 'check/{colour}/{version}', 60),
          switch: curl('POST', 'switch/{colour}/{expectedActive}?key={idempotencyKey}', 30),
          retire: curl('POST', 'retire/{colour}/{expectedActive}?key={idempotencyKey}', 30),
        },
      },
    },
    // The schema wants one check; the scale runbook has no step that runs it.
    verification: [{ name: 'health', path: '/health' }],
  };
}

async function editYaml(file: string, edit: (document: Record<string, unknown>) => void): Promise<void> {
  const document = parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  edit(document);
  await writeFile(file, stringify(document));
}

/** Adds `count` stand-in services answered by the target at `standInUrl` to the config folder. */
export async function addStandInServices(
  configDir: string,
  count: number,
  standInUrl: string,
): Promise<void> {
  const names = Array.from({ length: count }, (_, index) => standInServiceName(index));
  await Promise.all(
    names.map((name) =>
      writeFile(join(configDir, 'services', `${name}.yml`), stringify(standInService(name))),
    ),
  );
  for (const environment of SCALE_ENVIRONMENTS) {
    await editYaml(join(configDir, 'environments', `${environment}.yml`), (document) => {
      const services = document.services as Record<string, unknown>;
      for (const name of names) {
        services[name] = { url: `${standInUrl}/${name}/${environment}`, vars: { agent: standInUrl } };
      }
    });
  }
  await editYaml(join(configDir, 'runway.yml'), (document) => {
    document.api = { ...(document.api as object), startRateLimit: SCALE_START_RATE_LIMIT };
  });
}
