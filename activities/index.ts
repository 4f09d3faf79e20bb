// The activities of a release, built by one factory over their dependencies (see STYLE: samples' saga).
import type { ActivityDeps } from './activity-deps.js';
import { createCalendarActivities } from './calendar-activities.js';
import { createCommandActivities } from './command-activities.js';
import { createDecisionActivities } from './decision-activities.js';
import { createLegacyV1Activities } from './legacy-v1-activities.js';
import { createRecordActivities } from './record-activities.js';
import { createTargetActivities } from './target-activities.js';
import { createVerificationActivities } from './verification-activities.js';

export type { ActivityDeps } from './activity-deps.js';

export function createActivities(deps: ActivityDeps) {
  return {
    ...createTargetActivities(deps),
    ...createCommandActivities(deps),
    ...createVerificationActivities(deps),
    ...createRecordActivities(deps),
    ...createDecisionActivities(deps),
    ...createCalendarActivities(deps),
    ...createLegacyV1Activities(deps),
  };
}

export type RunwayActivities = ReturnType<typeof createActivities>;
