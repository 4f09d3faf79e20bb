// The services the start benchmark releases: one for Runway's starts, one for the baseline's, so
// neither ever meets the other's release holding its service (one release per service at a time).
// Their driver answers at once and changes nothing: the figure is what a start costs, not what a
// target takes to say what it runs, and a release cut short after its first activity leaves no
// demo environment half-deployed.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { DEMO_SERVICE } from '../../stack/demo-target-layout.js';

export const RUNWAY_START_SERVICE = 'starts-runway';
export const BARE_START_SERVICE = 'starts-bare';
/** What production runs, as the services' `inspect` prints it: every start's version is above it. */
export const PRODUCTION_VERSION = '1.0.0';

const ENVIRONMENTS = ['development', 'test', 'staging', 'production'];
/** Nothing listens there: the release is stopped before anything would probe it. */
const UNUSED_URL = 'http://127.0.0.1:9';

const INSPECTION = JSON.stringify({
  activeColour: 'blue',
  colours: { blue: { version: PRODUCTION_VERSION }, green: null },
});

/** `true` ignores its arguments; the placeholders are there because the schema demands them. */
const noop = (...placeholders: string[]) => ({ argv: ['true', ...placeholders], timeoutSeconds: 10 });

function benchService(name: string, demo: Record<string, unknown>) {
  return {
    name,
    description: 'Start benchmark: a driver that answers at once and changes nothing',
    deploy: {
      strategy: 'blue-green',
      driver: {
        type: 'command',
        actions: {
          inspect: { argv: ['echo', INSPECTION], timeoutSeconds: 10 },
          deploy: noop('{expectedActive}'),
          check: noop(),
          switch: noop('{expectedActive}'),
          retire: noop('{expectedActive}'),
        },
      },
    },
    commands: { 'integration-tests': noop() },
    // The demo's checks and (already shortened) analysis, so the plan has the shape edm-web's has.
    verification: demo.verification,
    checks: demo.checks,
    analysis: demo.analysis,
  };
}

/** crash-stack's editConfig: adds both services everywhere, and lifts the per-identity start limit. */
export async function addStartServices(configDir: string): Promise<void> {
  const demo = parse(await readFile(join(configDir, 'services', `${DEMO_SERVICE}.yml`), 'utf8'));
  for (const name of [RUNWAY_START_SERVICE, BARE_START_SERVICE]) {
    await writeFile(join(configDir, 'services', `${name}.yml`), stringify(benchService(name, demo)));
  }
  for (const environment of ENVIRONMENTS) {
    const file = join(configDir, 'environments', `${environment}.yml`);
    const config = parse(await readFile(file, 'utf8'));
    for (const name of [RUNWAY_START_SERVICE, BARE_START_SERVICE]) {
      config.services[name] = { url: UNUSED_URL, vars: {} };
    }
    await writeFile(file, stringify(config));
  }
  // R-INPUT's 30 starts a minute would answer 429 in a long run; the limiter's own cost stays measured.
  const settingsFile = join(configDir, 'runway.yml');
  const settings = parse(await readFile(settingsFile, 'utf8'));
  settings.api = { ...settings.api, startRateLimit: { burst: 10_000, perMinute: 10_000 } };
  await writeFile(settingsFile, stringify(settings));
}
