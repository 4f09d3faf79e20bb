import semver from 'semver';
import { z } from 'zod';

/**
 * How an edm-web build behaves. It is chosen by the version's semver build metadata
 * (`1.2.0+slow`, `1.2.0+failing`) so that a release can ship a bad build on purpose and
 * the verification and rollback paths can be shown end to end.
 */
export type EdmBehaviour = 'healthy' | 'slow' | 'failing';

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
  if (build.includes('failing')) return 'failing';
  if (build.includes('slow')) return 'slow';
  return 'healthy';
}

export const VERSION_HINT = 'a semantic version such as 1.2.0, 1.2.0+slow or 1.2.0+failing';

export const versionSchema = z.string().refine(isStrictSemver, { error: `must be ${VERSION_HINT}` });
