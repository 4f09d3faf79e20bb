// The demo release `npm start` begins: the next minor version of edm-web after the one production
// serves, requested by the demo operator, so a newcomer finds a release waiting for approval.
import semver from 'semver';
import { principalFor } from '../api/principal.js';
import { ConflictError, type ReleaseService } from '../api/release-service.js';
import type { RunwayConfig } from '../config/config-schema.js';
import { environmentStatus } from '../demo/edm-ctl/agent-client.js';
import type { EnvironmentStatus } from '../demo/target/model.js';
import { holdsServiceLock } from '../workflows/release-model.js';
import { DEMO_SERVICE } from './demo-target-layout.js';

const DEMO_REQUESTER = 'ops-wang';

async function productionVersion(controlUrl: string): Promise<string> {
  const status = (await environmentStatus(controlUrl, 'production')) as EnvironmentStatus;
  return (status.activeColour && status.colours[status.activeColour]?.version) || '1.0.0';
}

export async function startDemoRelease(
  service: ReleaseService,
  config: RunwayConfig,
  controlUrl: string,
  tokensFile: string,
): Promise<string> {
  const requester = principalFor(DEMO_REQUESTER, config);
  // A restart finds the demo release of the last run still in flight: it continues. Starting another
  // would supersede it (releases.whenNewerStarts), which is not what restarting the stack means.
  const recent = await service.list({ service: DEMO_SERVICE, limit: 20 }, requester);
  const inFlight = recent.find((release) => holdsServiceLock(release.status));
  if (inFlight) return `release ${inFlight.id} is still in flight and continues; no new demo release started`;
  const current = await productionVersion(controlUrl);
  const version = semver.inc(semver.coerce(current) ?? '1.0.0', 'minor') as string;
  try {
    const release = await service.start(
      { type: 'regular', service: DEMO_SERVICE, version, changeRef: 'DEMO-1' },
      requester,
    );
    return [
      `demo release ${release.id} started (production runs ${current}); it will wait for approval:`,
      `    source ${tokensFile}`,
      `    curl -s localhost:${config.settings.api.port}/api/v1/releases/${release.id} -H "Authorization: Bearer $RUNWAY_TOKEN_PM_LI"`,
      `    curl -s -X POST localhost:${config.settings.api.port}/api/v1/releases/${release.id}/approvals -H "Authorization: Bearer $RUNWAY_TOKEN_PM_LI" -H 'Content-Type: application/json' -d '{"decision":"approve"}'`,
      `    curl -s -X POST localhost:${config.settings.api.port}/api/v1/releases/${release.id}/approvals -H "Authorization: Bearer $RUNWAY_TOKEN_TL_ZHANG" -H 'Content-Type: application/json' -d '{"decision":"approve"}'`,
      `    Temporal Web: ${release.temporalUrl}`,
    ].join('\n');
  } catch (error) {
    if (error instanceof ConflictError && error.activeReleaseId) {
      return `release ${error.activeReleaseId} is still in flight and continues; no new demo release started`;
    }
    throw error;
  }
}
