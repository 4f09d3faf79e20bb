// Asks the calendar whether a release may enter its window now (R-WINDOW). The workflow passes the
// instant (its own clock, which a test server may move), and the calendar is read anew each time,
// so a freeze added to the configuration during a wait is seen when the release wakes.
import type { WindowCheck, WindowPolicy } from '../workflows/release-model.js';
import type { ActivityDeps } from './activity-deps.js';

export interface WindowCheckRequest {
  environment: string;
  /** ISO instant: the workflow's now. */
  at: string;
  policy: WindowPolicy;
  minimumRemainingMs: number;
}

/** Where the answer comes from: the configured calendar in production, a declared one in tests. */
export interface WindowCalendar {
  check(request: WindowCheckRequest): Promise<WindowCheck>;
}

export function createCalendarActivities(deps: ActivityDeps) {
  return {
    async checkReleaseWindow(request: WindowCheckRequest): Promise<WindowCheck> {
      const answer = await deps.calendar.check(request);
      deps.logger.info(
        { environment: request.environment, at: request.at, answer },
        'release window checked',
      );
      return answer;
    },
  };
}
