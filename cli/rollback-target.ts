// Which release `runway rollback --service S --env E --to previous` undoes: the newest release of S
// that changed E (a step that changes a target there ran), as the release views show. A release
// that only plans to reach E changed nothing there: when the newest release of S is one still on
// its way, it is named instead, with how to undo it; while it runs the API would refuse the
// rollback of an older release anyway.
import { holdsServiceLock, LOCK_HOLDING_STATUSES, type ReleaseStatus } from '../workflows/release-model.js';
import type { ApiClient } from './api-client.js';
import type { Release, ReleaseSummary } from './api-types.js';
import { CliError } from './cli-error.js';

/**
 * The step kinds that change a target (the kinds whose traits say changesTarget, in
 * workflows/steps/<kind>/); the others check or wait. The command does not load the engine's
 * kinds; test/cli/rollback-target.test.ts holds this list to their traits.
 */
export const TARGET_CHANGING_KINDS: readonly string[] = ['deploy', 'migrate', 'apply-config'];

/** A release in these may still be undone: while it runs, and after its production work until its window closes. */
const UNDOABLE: readonly ReleaseStatus[] = [...LOCK_HOLDING_STATUSES, 'succeeded', 'awaiting-docs'];

/** A step of the release that changes a target in `environment` has run (undone since or not). */
export function changedEnvironment(release: Release, environment: string): boolean {
  return release.steps.some(
    (record) =>
      record.environment === environment &&
      record.status !== 'skipped' &&
      TARGET_CHANGING_KINDS.includes(record.kind),
  );
}

function newerInFlight(newest: ReleaseSummary, service: string, environment: string): CliError {
  return new CliError(
    `the newest release of ${service}, ${newest.id}, is ${newest.status} and has not changed ${environment}: to undo it, runway rollback ${newest.id} --reason "…"`,
  );
}

/**
 * The choice over the service's releases, newest first; `readView` reads one's view. Whether the
 * release chosen may still be rolled back (its window, a newer start) is the API's to say.
 */
export async function chooseRollbackTarget(
  releases: readonly ReleaseSummary[],
  readView: (id: string) => Promise<Release>,
  service: string,
  environment: string,
): Promise<ReleaseSummary> {
  const verdicts = new Map<string, boolean>();
  const reached = async (summary: ReleaseSummary) => {
    if (!summary.environments.includes(environment)) return false;
    const known = verdicts.get(summary.id);
    if (known !== undefined) return known;
    const verdict = changedEnvironment(await readView(summary.id), environment);
    verdicts.set(summary.id, verdict);
    return verdict;
  };
  const newest = releases[0];
  if (newest && holdsServiceLock(newest.status) && !(await reached(newest))) {
    throw newerInFlight(newest, service, environment);
  }
  for (const release of releases) {
    if (!(await reached(release))) continue;
    if (UNDOABLE.includes(release.status)) return release;
    throw new CliError(
      `no release of ${service} in ${environment} can be rolled back: the newest there, ${release.id}, is ${release.status}`,
    );
  }
  throw new CliError(
    `no release of ${service} that you can read has changed ${environment}: nothing to roll back`,
  );
}

/** The release `--to previous` names, from the service's latest 200 releases. */
export async function findRollbackTarget(
  client: ApiClient,
  service: string,
  environment: string,
): Promise<ReleaseSummary> {
  const { releases } = await client.get<{ releases: ReleaseSummary[] }>('/releases', { service, limit: 200 });
  const readView = (id: string) => client.get<Release>(`/releases/${encodeURIComponent(id)}`);
  return chooseRollbackTarget(releases, readView, service, environment);
}
