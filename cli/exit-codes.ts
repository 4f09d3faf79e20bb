// The runway command's exit codes: few, so a script can tell apart what it must act on.
import type { ReleaseStatus } from '../workflows/release-model.js';

export const EXIT = {
  /** Done: the command did what it was asked; a watched release finished its production work. */
  ok: 0,
  /** Usage, refusal or API error: bad input, nothing confirmed, the API refused or could not be reached. */
  error: 1,
  /** Something failed: the release failed or was rolled back, a health check failed. */
  failed: 3,
  /** The release ended without shipping: rejected, cancelled, expired, superseded or abandoned. */
  notShipped: 4,
  /** `--timeout` passed while the release was still under way (it keeps running). */
  timeout: 5,
  /** Ctrl-C: the command stopped; a release it watched keeps running. */
  interrupted: 130,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** What a release's status means for `runway watch`: an exit code once it has ended, else undefined. */
const EXIT_BY_STATUS: Record<ReleaseStatus, ExitCode | undefined> = {
  running: undefined,
  'awaiting-approval': undefined,
  'waiting-window': undefined,
  'waiting-decision': undefined,
  'rolling-back': undefined,
  succeeded: EXIT.ok,
  // Production work is done; only the paperwork is owed.
  'awaiting-docs': EXIT.ok,
  failed: EXIT.failed,
  'rolled-back': EXIT.failed,
  rejected: EXIT.notShipped,
  cancelled: EXIT.notShipped,
  expired: EXIT.notShipped,
  superseded: EXIT.notShipped,
  abandoned: EXIT.notShipped,
};

/** The exit code of a watch that sees `status`; undefined while the release is still under way. */
export function exitCodeForStatus(status: ReleaseStatus): ExitCode | undefined {
  return EXIT_BY_STATUS[status];
}

/** The table `runway watch --help` and docs/cli.md show. */
export const EXIT_CODES_HELP = `Exit codes:
  0    production work done: succeeded, or awaiting-docs (a hotfix or emergency owing its paperwork)
  1    usage error, nothing confirmed, or the API refused or could not be reached
  3    the release failed or was rolled back (health-check: a check failed)
  4    the release ended without shipping: rejected, cancelled, expired, superseded or abandoned
  5    --timeout passed; the release keeps running
  130  interrupted (Ctrl-C); the release keeps running (at deploy's [y/N] question, nothing starts)`;
