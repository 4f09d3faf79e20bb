import semver from 'semver';
import { z } from 'zod';

/**
 * How an edm-web build behaves. It is chosen by the version's semver build metadata
 * (`1.2.0+slow`, `1.2.0+failing`, `1.2.0+errors`) so that a release can ship a bad build on purpose
 * and the verification and rollback paths can be shown end to end.
 *
 * - `failing`: /health answers 503 and the API 500 from the start (verification catches it).
 * - `slow`: every answer takes 600 ms from the start.
 * - `errors`, `degrading`, `unhealthy-later`: healthy at first, so the build passes its checks and
 *   takes traffic; a while later (see `server.ts`) it answers 5xx to a share of service requests,
 *   slows its service paths down, or fails /health. Only a bake watching the service catches these.
 *
 * - `db-unreachable`, `campaigns-broken`, `slow-queries`, `error-logs`, `no-metrics`: healthy to its
 *   health and version checks, but one checklist check fails for real (checklist-checks.ts): its
 *   database on a closed port, its key query naming a missing column, queries sleeping in the
 *   database, background work failing every 250 ms, no /metrics for monitoring to scrape.
 *
 * Listed from the strongest fault down: a build that names several behaves as the first it names here.
 */
export const EDM_BEHAVIOURS = [
  'failing',
  'unhealthy-later',
  'errors',
  'degrading',
  'slow',
  'db-unreachable',
  'campaigns-broken',
  'slow-queries',
  'error-logs',
  'no-metrics',
  'healthy',
] as const;
export type EdmBehaviour = (typeof EDM_BEHAVIOURS)[number];

/** The behaviours that start healthy and turn bad only after the instance has taken traffic for a while. */
export const LATE_FAULTS: ReadonlySet<EdmBehaviour> = new Set(['errors', 'degrading', 'unhealthy-later']);

/**
 * True for a canonical semantic version. `semver.parse` also accepts `v1.2.0`, `=1.2.0`
 * and surrounding spaces; a version that is compared verbatim by the integration suite
 * and persisted in the target state must be spelled one way only.
 */
export function isStrictSemver(version: string): boolean {
  const parsed = semver.parse(version);
  if (parsed === null) return false;
  const build = parsed.build.length > 0 ? `+${parsed.build.join('.')}` : '';
  return `${parsed.version}${build}` === version;
}

/** A build marked both slow and failing fails: failing is what a release must catch. */
export function behaviourOf(version: string): EdmBehaviour {
  const build = semver.parse(version)?.build ?? [];
  return EDM_BEHAVIOURS.find((behaviour) => build.includes(behaviour)) ?? 'healthy';
}

export const VERSION_HINT =
  'a semantic version such as 1.2.0, 1.2.0+slow, 1.2.0+failing, 1.2.0+errors, 1.2.0+degrading or 1.2.0+unhealthy-later';

export const versionSchema = z.string().refine(isStrictSemver, { error: `must be ${VERSION_HINT}` });
