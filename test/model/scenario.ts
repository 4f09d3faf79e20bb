// What the model test generates: a release (its type, service and requester), what goes wrong in the
// world (failing steps and compensations, a bake that trips), and a sequence of events people and
// time bring — decisions and orders from any identity, timers firing, newer starts, worker restarts.
// The harness injects each event only once the release waits for it, so a seed replays exactly.
import fc from 'fast-check';
import type { InjectedFailure } from './model-world.js';

export const IDENTITIES = [
  'ops-wang',
  'oncall-zhou',
  'pm-li',
  'tl-zhang',
  'admin-zhao',
  'admin-qian',
  'sec-wu',
  'opslead-he',
  'dev-chen',
  'qa-sun',
] as const;
export type Identity = (typeof IDENTITIES)[number];

export type ReleaseKind = 'regular' | 'hotfix' | 'emergency' | 'config-change';

export type ModelEvent =
  /** Someone answers the gate the release waits at (approve or reject, confirm at a checklist item). */
  | { kind: 'answer'; who: Identity; answer: 'approve' | 'reject' }
  /** The next missing seat filled by someone who may fill it (releases must get somewhere). */
  | { kind: 'fill-seat' }
  /** A window override, by anyone. */
  | { kind: 'override'; who: Identity }
  | { kind: 'order'; who: Identity; order: 'rollback' | 'abort' }
  | { kind: 'guided'; who: Identity; decision: 'retry' | 'skip' | 'rollback' | 'abort' }
  /** Time passes: a two-person order's first half, an emergency's gate, the SLA, a window, the rollback window, a regular gate. */
  | { kind: 'advance'; minutes: number }
  | { kind: 'newer-start'; who: Identity; type: ReleaseKind; versionMove: 'up' | 'down' }
  /** The first start's request sent again with its Idempotency-Key. */
  | { kind: 'retry-start' }
  | { kind: 'restart-worker' }
  /** The held activity (a production bake) ends, healthy or tripped as the scenario says. */
  | { kind: 'release-hold' }
  | { kind: 'document'; who: Identity };

export interface Scenario {
  type: ReleaseKind;
  service: 'edm-web' | 'edm-sender';
  requester: 'ops-wang' | 'oncall-zhou';
  failures: InjectedFailure[];
  bakeTrips: boolean;
  /** The production bake waits for a `release-hold` event: orders can arrive while it runs. */
  holdBake: boolean;
  /** Production's release window opens three hours after the start. */
  windowClosed: boolean;
  events: ModelEvent[];
}

const identity = fc.constantFrom(...IDENTITIES);
/** Deployers in production: the people whose orders matter most, so they come up often. */
const deployer = fc.constantFrom<Identity>('ops-wang', 'oncall-zhou');
const someone = fc.oneof({ weight: 2, arbitrary: deployer }, { weight: 1, arbitrary: identity });

const environment = fc.constantFrom('test', 'staging', 'production');
const failure: fc.Arbitrary<InjectedFailure> = fc.record({
  activity: fc.constantFrom<InjectedFailure['activity']>(
    'runStepCommand',
    'verifyService',
    'checkColour',
    'checkInstance',
    'checkConfig',
    'migrateUp',
    'undo',
    'verifyRollback',
  ),
  environment,
  times: fc.integer({ min: 1, max: 3 }),
});

/** 16 min: past a two-person order's first half; 31: an emergency gate; 61: the rollback window; 121: a hotfix's; 181: the window; 7 days: a regular gate. */
const ADVANCES = [16, 31, 61, 121, 181, 7 * 24 * 60 + 60];

export const modelEvent: fc.Arbitrary<ModelEvent> = fc.oneof(
  { weight: 6, arbitrary: fc.constant({ kind: 'fill-seat' as const }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('answer' as const),
      who: identity,
      answer: fc.constantFrom('approve' as const, 'reject' as const),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('override' as const), who: identity }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('order' as const),
      who: someone,
      order: fc.constantFrom('rollback' as const, 'abort' as const),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('guided' as const),
      who: someone,
      decision: fc.constantFrom('retry' as const, 'skip' as const, 'rollback' as const, 'abort' as const),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('advance' as const), minutes: fc.constantFrom(...ADVANCES) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('newer-start' as const),
      who: deployer,
      type: fc.constantFrom<ReleaseKind>('regular', 'hotfix', 'emergency'),
      versionMove: fc.constantFrom('up' as const, 'down' as const),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'retry-start' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'restart-worker' as const }) },
  { weight: 3, arbitrary: fc.constant({ kind: 'release-hold' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('document' as const), who: someone }) },
);

export const scenario: fc.Arbitrary<Scenario> = fc
  .record({
    type: fc.constantFrom<ReleaseKind>('regular', 'hotfix', 'emergency', 'config-change'),
    sender: fc.boolean(),
    requester: fc.constantFrom('ops-wang' as const, 'oncall-zhou' as const),
    failures: fc.array(failure, { maxLength: 3 }),
    bakeTrips: fc.boolean(),
    holdBake: fc.boolean(),
    windowClosed: fc.boolean(),
    events: fc.array(modelEvent, { minLength: 2, maxLength: 16 }),
  })
  .map(({ sender, ...rest }) => ({
    ...rest,
    // Configuration changes are edm-web's bundles; the rolling service takes the other types.
    service: sender && rest.type !== 'config-change' ? ('edm-sender' as const) : ('edm-web' as const),
  }));

/** One line per event, for a failure report a person can follow. */
export function describeScenario(scenario: Scenario): string {
  const head = `${scenario.type} of ${scenario.service} by ${scenario.requester}; failures ${JSON.stringify(scenario.failures)}; bake ${scenario.bakeTrips ? 'trips' : 'healthy'}${scenario.holdBake ? ' (held)' : ''}; window ${scenario.windowClosed ? 'closed 3 h' : 'open'}`;
  return [head, ...scenario.events.map((event, index) => `  ${index + 1}. ${JSON.stringify(event)}`)].join(
    '\n',
  );
}
