// The activities of a release, built by one factory over their dependencies (see STYLE: samples' saga).
import type { ActivityDeps } from './activity-deps.js';
import { createAlertActivities } from './alert-activities.js';
import { createBakeActivities } from './bake-activities.js';
import { createCalendarActivities } from './calendar-activities.js';
import { createCommandActivities } from './command-activities.js';
import { createConfigurationActivities } from './configuration-activities.js';
import { createDatabaseActivities } from './database-activities.js';
import { createDecisionActivities } from './decision-activities.js';
import { createLegacyV1Activities } from './legacy-v1-activities.js';
import { createRecordActivities } from './record-activities.js';
import { createRollbackVerificationActivities } from './rollback-verification-activities.js';
import { createRollingActivities } from './rolling-activities.js';
import { createStartAuthorityActivities } from './start-authority-activities.js';
import { createTargetActivities } from './target-activities.js';
import { createTargetHealthActivities } from './target-health-activities.js';
import { createTargetInspectionActivities } from './target-inspection-activities.js';
import { createVerificationActivities } from './verification-activities.js';

export type { ActivityDeps } from './activity-deps.js';

export function createActivities(deps: ActivityDeps) {
  return {
    ...createTargetActivities(deps),
    ...createRollingActivities(deps),
    ...createConfigurationActivities(deps),
    ...createTargetInspectionActivities(deps),
    ...createTargetHealthActivities(deps),
    ...createCommandActivities(deps),
    ...createDatabaseActivities(deps),
    ...createVerificationActivities(deps),
    ...createRecordActivities(deps),
    ...createDecisionActivities(deps),
    ...createStartAuthorityActivities(deps),
    ...createCalendarActivities(deps),
    ...createLegacyV1Activities(deps),
    ...createBakeActivities(deps),
    ...createRollbackVerificationActivities(deps),
    ...createAlertActivities(deps),
  };
}

export type RunwayActivities = ReturnType<typeof createActivities>;
