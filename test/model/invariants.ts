// The release rules as invariants (docs/release-rules.md states them in words), checked after every
// model scenario on what the targets saw (the world's action log), what the records say, and what
// each identity's views show. Each returns the violations it finds, in words a person can follow.

import type { VerifyRollbackInput } from '../../activities/rollback-verification-activities.js';
import { type Principal, principalFor } from '../../api/principal.js';
import { releaseJson, releaseSummaryJson } from '../../api/release-json.js';
import type { RunwayConfig } from '../../config/config-schema.js';
import { getRelease, type ReleaseDetail } from '../../db/release-records.js';
import type { PlanStep } from '../../workflows/release-model.js';
import type { ModelHarness, ScenarioRun } from './model-harness.js';
import { ENVIRONMENTS, marker, type TargetSnapshot, type WorldAction } from './model-world.js';
import { IDENTITIES } from './scenario.js';

const CHANGING_KINDS: readonly string[] = ['deploy', 'migrate', 'apply-config'];
/** The first half of a two-person order lapses after this (docs/release-rules.md). */
const FIRST_HALF_LIFETIME_MS = 15 * 60_000;
/** More conditions than this pending at a quiet moment: a step left one behind. */
const MAX_PENDING_CONDITIONS = 6;

export interface Evidence {
  run: ScenarioRun;
  records: Map<string, ReleaseDetail>;
  log: WorldAction[];
  verifications: VerifyRollbackInput[];
  /** Each release's environments as it first found them (`<release id>/<environment>`). */
  before: Map<string, TargetSnapshot>;
  /** Per identity, per release: the JSON the API would answer, and the list rows. */
  views: Map<string, { release: Map<string, string>; list: string }>;
  config: RunwayConfig;
  principal: (name: string) => Principal;
}

export async function gatherEvidence(harness: ModelHarness, run: ScenarioRun): Promise<Evidence> {
  const { service, pool, world, config } = harness;
  const records = new Map<string, ReleaseDetail>();
  for (const id of run.releaseIds) {
    // Reading through the API first lets the reconciler close what ended outside the workflow.
    await service.get(id, principalOf(config, 'admin-zhao')).catch(() => undefined);
    const record = await getRelease(pool, id);
    if (record) records.set(id, record);
  }
  const views = new Map<string, { release: Map<string, string>; list: string }>();
  const temporalUrl = (id: string) => service.temporalUrl(id);
  for (const identity of IDENTITIES) {
    const principal = principalOf(config, identity);
    const release = new Map<string, string>();
    for (const id of run.releaseIds) {
      const view = await service.get(id, principal).catch(() => undefined);
      if (view) release.set(id, JSON.stringify(releaseJson(view, temporalUrl)));
    }
    const rows = await service.list({ service: run.scenario.service, limit: 50 }, principal);
    const list = JSON.stringify(
      rows
        .filter((row) => run.releaseIds.includes(row.id))
        .map((row) => releaseSummaryJson(row, temporalUrl)),
    );
    views.set(identity, { release, list });
  }
  return {
    run,
    records,
    log: [...world.log],
    verifications: world.verifications.map((input) => ({ ...input })),
    before: new Map(world.before),
    views,
    config,
    principal: (name) => principalOf(config, name),
  };
}

const principals = new Map<string, Principal>();
function principalOf(config: RunwayConfig, name: string): Principal {
  let principal = principals.get(name);
  if (!principal) {
    principal = principalFor(name, config);
    principals.set(name, principal);
  }
  return principal;
}

const deploysIn = (evidence: Evidence, actor: string, environment: string) =>
  evidence.principal(actor).rolesIn(environment).includes('deploy');

const changesTarget = (step: PlanStep) => CHANGING_KINDS.includes(step.kind);

/** Production changes only after its runbook's production gates counted their quorum. */
export function productionWaitsForItsGate(evidence: Evidence): string[] {
  const violations: string[] = [];
  for (const [id, record] of evidence.records) {
    const first = evidence.log.find(
      (entry) => entry.releaseId === id && entry.environment === 'production' && !entry.undo,
    );
    if (!first) continue;
    const steps = record.plan.steps;
    const firstChange = steps.findIndex((step) => step.environment === 'production' && changesTarget(step));
    const gates = steps
      .slice(0, firstChange < 0 ? steps.length : firstChange)
      .filter((step) => step.kind === 'approval' && step.environment === 'production');
    for (const gate of gates) {
      if (gate.kind !== 'approval') continue;
      const approvers = new Set(
        (first.approvalsBefore ?? []).filter((row) => row.gateId === gate.id).map((row) => row.actor),
      );
      if (approvers.size < gate.quorum.length) {
        violations.push(
          `${id}: production changed ("${first.action}") before ${gate.id} counted its quorum of ${gate.quorum.join(', ')} (counted: ${[...approvers].join(', ') || 'none'})`,
        );
      }
    }
  }
  return violations;
}

/** Who the record says ordered the undoing that took effect, if people did: a rollback's, an abort's. */
function undoneBy(record: ReleaseDetail): string[] | undefined {
  const rollback = record.rollback;
  if (rollback && rollback.cause !== 'automatic') return rollback.orderedBy;
  const reason = record.failure?.reason ?? '';
  const named = /(?:abort ordered by|aborted by) ([^:;]+?)(?::|;|$)/.exec(reason)?.[1];
  return named === undefined ? undefined : named.split(' and ').map((name) => name.trim());
}

/**
 * Production is undone only by the automatic triggers of its bake, by the compensation of a
 * production step that failed (without anyone deciding on it), or by an order two people with deploy
 * there gave; never by an expiry, a supersession, or one person.
 */
export function productionIsUndoneOnlyAsAllowed(evidence: Evidence): string[] {
  const violations: string[] = [];
  const twoPerson = evidence.config.settings.rollback.twoPersonEnvironments.includes('production');
  for (const [id, record] of evidence.records) {
    const undone = evidence.log.filter(
      (entry) => entry.releaseId === id && entry.environment === 'production' && entry.undo,
    );
    if (undone.length === 0) continue;
    const what = `${id} (${record.status}): production was undone ("${undone[0]?.action}")`;
    if (record.status === 'expired' || record.status === 'superseded') {
      violations.push(
        `${what} although the release ended ${record.status}: nothing automatic undoes production`,
      );
      continue;
    }
    if (record.rollback?.cause === 'automatic' && evidence.run.scenario.bakeTrips) continue;
    const people = undoneBy(record);
    if (people !== undefined) {
      const deployers = new Set(people.filter((person) => deploysIn(evidence, person, 'production')));
      if (twoPerson && deployers.size < 2) {
        violations.push(
          `${what} on the order of ${people.join(' and ') || 'nobody'}: an order that undoes production needs two people with deploy there`,
        );
      }
      continue;
    }
    const failedStep = record.steps.find(
      (step) =>
        step.environment === 'production' &&
        step.status === 'failed' &&
        step.kind !== 'compensation' &&
        !['approval', 'confirm', 'window'].includes(step.kind),
    );
    if (!failedStep) violations.push(`${what} with no failure, no bake trip and no order`);
  }
  return violations;
}

/**
 * Once undoing starts, every recorded compensation runs, newest first, or waits for a person; none
 * is dropped (a person's abort of a failed compensation stops the rest, and says so).
 */
export function undoingDropsNothing(evidence: Evidence): string[] {
  const violations: string[] = [];
  for (const [id, record] of evidence.records) {
    if (!record.finishedAt || !record.rollback) continue;
    // A failed compensation waits for a person; their abort, or no answer within the gate's lifetime,
    // stops the undoing there — and the record says so.
    const stopped = /stopped compensating/.test(record.failure?.reason ?? '');
    const stoppedByPerson =
      stopped &&
      record.decisions.some(
        (decision) =>
          decision.outcome === 'counted' &&
          decision.decision === 'abort' &&
          decision.gateId.startsWith('guided:'),
      );
    const stoppedByExpiry = /the expiry of the decision stopped compensating/.test(
      record.failure?.reason ?? '',
    );
    const scope =
      record.rollback.cause === 'automatic'
        ? record.rollback.verification.map((v) => v.environment)
        : undefined;
    const left = record.rollbackPlan.filter(
      (entry) =>
        (entry.status === 'pending' || entry.status === 'running') &&
        (scope === undefined || scope.length === 0 || scope.includes(entry.environment)),
    );
    if (left.length > 0 && !stoppedByPerson && !stoppedByExpiry) {
      violations.push(
        `${id} (${record.status}): undoing started, yet ${left.map((entry) => entry.id).join(', ')} never ran and nobody decided to stop`,
      );
    }
    const order = new Map(record.rollbackPlan.map((entry, index) => [entry.id, index]));
    const ran = evidence.log
      .filter((entry) => entry.releaseId === id && entry.undo && entry.entryId !== undefined)
      .map((entry) => order.get(entry.entryId as string) ?? -1);
    for (let index = 1; index < ran.length; index++) {
      if ((ran[index] as number) < (ran[index - 1] as number)) {
        violations.push(`${id}: compensations ran out of order (newest first): ${JSON.stringify(ran)}`);
        break;
      }
    }
  }
  return violations;
}

/** After a rollback, the checklist checks what each strategy restored, in every environment undone. */
export function verificationChecksWhatWasRestored(evidence: Evidence): string[] {
  const violations: string[] = [];
  for (const [id, record] of evidence.records) {
    if (!record.rollback || record.status !== 'rolled-back') continue;
    const undone = new Set(
      evidence.log.filter((entry) => entry.releaseId === id && entry.undo).map((entry) => entry.environment),
    );
    for (const environment of undone) {
      const checked = evidence.verifications.filter(
        (v) => v.releaseId === id && v.environment === environment,
      );
      if (checked.length === 0) {
        violations.push(`${id}: ${environment} was rolled back but never verified`);
        continue;
      }
      const actions = evidence.log.filter(
        (entry) => entry.releaseId === id && entry.environment === environment,
      );
      const restored = checked.map((v) => v.restored).find((r) => r !== undefined);
      const was = evidence.before.get(`${id}/${environment}`);
      if (!was) continue;
      const says = `(it expected ${JSON.stringify(checked.map((v) => v.restored ?? { version: v.expectedVersion }))})`;
      if (
        actions.some((entry) => /^(deploy|switch)/.test(entry.action)) &&
        restored?.version !== was.servedVersion
      ) {
        violations.push(
          `${id}: the rollback verification in ${environment} did not check that it serves ${was.servedVersion} again ${says}`,
        );
      }
      const updated = new Set(
        actions
          .filter((entry) => entry.action.startsWith('update '))
          .map((entry) => entry.action.split(' ')[1] as string),
      );
      for (const instance of updated) {
        const version = was.instances[instance];
        if (restored?.instances?.[instance] !== version) {
          violations.push(
            `${id}: the rollback verification in ${environment} did not check ${instance} runs ${version} again ${says}`,
          );
        }
      }
      if (
        actions.some((entry) => entry.action.startsWith('apply config')) &&
        restored?.revision !== was.revision
      ) {
        violations.push(
          `${id}: the rollback verification in ${environment} did not check configuration ${was.revision} is back ${says}`,
        );
      }
    }
  }
  return violations;
}

/** At most one release changes a service's targets at any instant: their changes never interleave. */
export function oneReleaseChangesAServiceAtATime(evidence: Evidence): string[] {
  const spans = new Map<string, { first: number; last: number }>();
  for (const entry of evidence.log) {
    const span = spans.get(entry.releaseId);
    if (span) span.last = entry.seq;
    else spans.set(entry.releaseId, { first: entry.seq, last: entry.seq });
  }
  const violations: string[] = [];
  const list = [...spans];
  for (const [a, spanA] of list) {
    for (const [b, spanB] of list) {
      if (a < b && spanA.first < spanB.last && spanB.first < spanA.last) {
        violations.push(`${a} and ${b} changed the service's targets at the same time`);
      }
    }
  }
  return violations;
}

/** A start that is refused changes nothing; a release is superseded only by one that started. */
export function refusedStartsChangeNothing(evidence: Evidence): string[] {
  const violations: string[] = [];
  for (const refused of evidence.run.refusedStarts) {
    const newly = refused.supersededAfter.filter((id) => !refused.supersededBefore.includes(id));
    if (newly.length > 0) {
      violations.push(
        `the refused start of ${refused.what} (${refused.error}) superseded ${newly.join(', ')}`,
      );
    }
  }
  for (const [id, record] of evidence.records) {
    if (record.status !== 'superseded') continue;
    const by = record.supersededBy ?? '';
    const newer = evidence.records.get(by);
    if (!newer || newer.claimedAt === null) {
      violations.push(`${id} was superseded by ${by || 'nothing'}, which never started`);
    }
  }
  const first = evidence.run.releaseIds[0];
  for (const retry of evidence.run.retriedStarts) {
    if (retry.answeredWith !== undefined && retry.answeredWith !== first) {
      violations.push(
        `retrying the first start's Idempotency-Key answered ${retry.answeredWith}, not ${first}`,
      );
    }
  }
  return violations;
}

/** A reader sees nothing of an environment they cannot read, in any field of any view or list. */
export function readersSeeOnlyTheirEnvironments(evidence: Evidence): string[] {
  const violations: string[] = [];
  for (const identity of IDENTITIES) {
    const principal = evidence.principal(identity);
    const hidden = ENVIRONMENTS.filter((environment) => !principal.rolesIn(environment).includes('read'));
    if (hidden.length === 0) continue;
    const views = evidence.views.get(identity);
    for (const [id, json] of views?.release ?? []) {
      const record = evidence.records.get(id);
      for (const environment of hidden) {
        const tell = [marker(environment), ...hiddenStepWords(record, environment)].find((word) =>
          json.includes(word),
        );
        if (tell) {
          const at = json.indexOf(tell);
          violations.push(
            `${identity} (reads ${ENVIRONMENTS.filter((e) => !hidden.includes(e)).join(', ')}) sees ${environment} in ${id}: …${json.slice(Math.max(0, at - 80), at + 40)}…`,
          );
        }
      }
    }
    for (const environment of hidden) {
      if (views?.list.includes(marker(environment)))
        violations.push(`${identity}'s list shows ${environment}'s data`);
    }
  }
  return violations;
}

function hiddenStepWords(record: ReleaseDetail | undefined, environment: string): string[] {
  if (!record) return [];
  return record.plan.steps
    .filter((step) => step.environment === environment)
    .flatMap((step) => [`"${step.id}"`, step.name]);
}

/**
 * A decision counts once per person per gate, from a rostered person with the role; the requester
 * never fills a seat; the two halves of a two-person order are two people within its lifetime.
 */
export function decisionsCountAsTheRulesSay(evidence: Evidence): string[] {
  const violations: string[] = [];
  for (const [id, record] of evidence.records) {
    const counted = record.decisions.filter((decision) => decision.outcome === 'counted');
    for (const step of record.plan.steps) {
      if (step.kind !== 'approval' && step.kind !== 'confirm') continue;
      const answers = counted.filter(
        (d) => d.gateId === step.id && (d.decision === 'approve' || d.decision === 'confirm'),
      );
      const actors = answers.map((d) => d.actor);
      if (new Set(actors).size !== actors.length)
        violations.push(`${id}: someone counted twice at ${step.id}`);
      for (const answer of answers) {
        const entry = step.roster.find((person) => person.identity === answer.actor);
        if (!entry)
          violations.push(`${id}: ${answer.actor} counted at ${step.id} without being on its roster`);
        if (step.kind === 'approval' && answer.actor === record.requestedBy) {
          violations.push(`${id}: the requester ${answer.actor} approved their own release`);
        }
      }
    }
    const rollbacks = counted.filter((d) => d.gateId === 'release' && d.decision === 'rollback');
    if (record.rollback?.cause === 'manual' && record.rollback.orderedBy.length === 2) {
      const [first, second] = record.rollback.orderedBy;
      if (first === second) violations.push(`${id}: one person gave both halves of a two-person rollback`);
      const times = rollbacks
        .filter((d) => d.actor === first || d.actor === second)
        .map((d) => Date.parse(d.at))
        .sort((a, b) => a - b);
      const span = (times.at(-1) ?? 0) - (times[0] ?? 0);
      if (times.length >= 2 && span > FIRST_HALF_LIFETIME_MS) {
        violations.push(`${id}: a two-person rollback counted halves ${Math.round(span / 60_000)} min apart`);
      }
    }
  }
  return violations;
}

/** Every release stopped to wait or ended; no step left a pending condition behind. */
export function releasesKeepMoving(evidence: Evidence): string[] {
  const violations = [...evidence.run.stuck];
  if (evidence.run.maxPendingConditions > MAX_PENDING_CONDITIONS) {
    violations.push(
      `a workflow waited on ${evidence.run.maxPendingConditions} conditions at once: steps leave their watches behind`,
    );
  }
  return violations;
}

export const INVARIANTS = {
  productionWaitsForItsGate,
  productionIsUndoneOnlyAsAllowed,
  undoingDropsNothing,
  verificationChecksWhatWasRestored,
  oneReleaseChangesAServiceAtATime,
  refusedStartsChangeNothing,
  readersSeeOnlyTheirEnvironments,
  decisionsCountAsTheRulesSay,
  releasesKeepMoving,
};

export function checkInvariants(evidence: Evidence): string[] {
  return Object.entries(INVARIANTS).flatMap(([name, check]) =>
    check(evidence).map((text) => `[${name}] ${text}`),
  );
}
