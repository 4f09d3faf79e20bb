// The steps of runbooks/regular.yml that run before its change approval, in order: what a regular
// release waiting at that gate has done. Written out, not read from the runbook, so a test notices
// when the runbook changes.
export const STEPS_BEFORE_CHANGE_APPROVAL = [
  'dependencies-production',
  'rollback-plan-production',
  'migrations-ready-production',
  'migrate-test',
  'deploy-test',
  'error-logs-test',
  'db-connectivity-test',
  'key-functions-test',
  'performance-test',
  'monitoring-test',
  'integration-tests',
  'migrate-staging',
  'deploy-staging',
  'verify-staging',
] as const;

/** [step, status] of a release waiting at its change approval. */
export const WAITING_AT_CHANGE_APPROVAL: [string, string][] = [
  ...STEPS_BEFORE_CHANGE_APPROVAL.map((id): [string, string] => [id, 'succeeded']),
  ['change-approval', 'running'],
];
