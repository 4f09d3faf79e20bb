// The world the model test's releases act on: every service's targets in every environment, in
// memory, driven by stand-ins of the driver, command, probe and verification activities. Every
// change to a target lands in an action log (which release, which environment, forward or undo), so
// the invariants can be checked on what was done, not on what the records say was done. Whatever a
// stand-in reports about an environment carries that environment's marker, so a view that shows it
// to someone who may not read the environment is caught.
import { CancelledFailure, Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type pg from 'pg';
import { bakeUnhealthy } from '../../activities/bake-activities.js';
import type { RunwayActivities } from '../../activities/index.js';
import type { VerifyRollbackInput } from '../../activities/rollback-verification-activities.js';
import type { ReleasePlan, WindowCheck } from '../../workflows/release-model.js';

/** What whoever reads an environment may see, and no one else: planted in everything said about it. */
export const marker = (environment: string): string => `MARK-${environment}`;

export const ENVIRONMENTS = ['test', 'staging', 'production'] as const;
const INITIAL_VERSION = '1.0.0';
const INITIAL_MIGRATION = '002';
const INITIAL_REVISION = 'baseline';
const INSTANCES = ['sender-1', 'sender-2', 'sender-3', 'sender-4'];

/** A kind of stand-in call that fails, where, and how many more times. */
export interface InjectedFailure {
  activity:
    | 'runStepCommand'
    | 'verifyService'
    | 'checkColour'
    | 'checkInstance'
    | 'checkConfig'
    | 'migrateUp'
    | 'undo'
    /** The rollback verification checklist finds the environment unhealthy. */
    | 'verifyRollback';
  environment: string;
  times: number;
}

export interface WorldAction {
  seq: number;
  releaseId: string;
  service: string;
  environment: string;
  action: string;
  /** A compensation's change (the key names a compensation entry), not the release's own. */
  undo: boolean;
  /** The compensation entry's id, for an undo. */
  entryId?: string;
  /** For a forward change to production: the counted approvals of the release at that moment. */
  approvalsBefore?: { gateId: string; actor: string }[];
}

interface ColourState {
  active: 'blue' | 'green' | null;
  versions: { blue: string | null; green: string | null };
}

/** What an environment of a service looks like, for comparing before and after. */
export interface TargetSnapshot {
  servedVersion: string | null;
  instances: Record<string, string>;
  revision: string | null;
  migration: string | null;
}

const key = (service: string, environment: string) => `${service}/${environment}`;

/** `releaseId/stepId/action` for a forward call, `releaseId/entryId` (a step id with a suffix) for an undo. */
function keyParts(callKey: string | undefined): { undo: boolean; entryId?: string } {
  if (!callKey) return { undo: false };
  const [, second, third] = callKey.split('/');
  if (third === undefined && second?.includes('.')) return { undo: true, entryId: second };
  return { undo: false };
}

export interface HeldActivity {
  activity: string;
  environment: string;
  release(): void;
}

export class ModelWorld {
  readonly log: WorldAction[] = [];
  readonly verifications: VerifyRollbackInput[] = [];
  failures: InjectedFailure[] = [];
  bakeTrips = false;
  holdBake = false;
  /** Production's window opens at this server time (ms); undefined: always open. */
  windowOpensAt: number | undefined;
  readonly holds = new Set<HeldActivity>();
  /** Each release's first sight of each environment it changed: what a rollback must restore. */
  readonly before = new Map<string, TargetSnapshot>();
  #colours = new Map<string, ColourState>();
  #instances = new Map<string, Map<string, string>>();
  #revisions = new Map<string, string | null>();
  #migrations = new Map<string, string | null>();

  readonly #releases = new Map<string, { service: string; plan: ReleasePlan }>();

  constructor(private readonly pool: pg.Pool) {
    this.reset();
  }

  /** A release's service and plan, from its record (the API wrote it before the start). */
  async #release(releaseId: string): Promise<{ service: string; plan: ReleasePlan }> {
    const known = this.#releases.get(releaseId);
    if (known) return known;
    const { rows } = await this.pool.query('SELECT service, runbook FROM releases WHERE id = $1', [
      releaseId,
    ]);
    const release = { service: rows[0]?.service as string, plan: rows[0]?.runbook as ReleasePlan };
    this.#releases.set(releaseId, release);
    return release;
  }

  async #stepEnvironment(releaseId: string, stepId: string): Promise<string> {
    const { plan } = await this.#release(releaseId);
    return plan.steps.find((step) => step.id === stepId)?.environment ?? 'production';
  }

  /** Every service back to its first version everywhere, nothing logged, nothing failing. */
  reset(): void {
    this.log.length = 0;
    this.verifications.length = 0;
    this.before.clear();
    this.failures = [];
    this.bakeTrips = false;
    this.holdBake = false;
    this.windowOpensAt = undefined;
    for (const hold of this.holds) hold.release();
    this.holds.clear();
    for (const service of ['edm-web', 'edm-sender']) {
      for (const environment of ENVIRONMENTS) {
        const at = key(service, environment);
        this.#colours.set(at, { active: 'blue', versions: { blue: INITIAL_VERSION, green: null } });
        this.#instances.set(at, new Map(INSTANCES.map((instance) => [instance, INITIAL_VERSION])));
        this.#revisions.set(at, INITIAL_REVISION);
        this.#migrations.set(at, INITIAL_MIGRATION);
      }
    }
  }

  snapshot(service: string, environment: string): TargetSnapshot {
    const at = key(service, environment);
    const colours = this.#colours.get(at) as ColourState;
    return {
      servedVersion: colours.active ? colours.versions[colours.active] : null,
      instances: Object.fromEntries(this.#instances.get(at) ?? []),
      revision: this.#revisions.get(at) ?? null,
      migration: this.#migrations.get(at) ?? null,
    };
  }

  /** What production runs, as the API's version rule asks a target. */
  productionVersion(service: string): string {
    if (service === 'edm-sender') {
      return [...(this.#instances.get(key(service, 'production'))?.values() ?? [])][0] ?? INITIAL_VERSION;
    }
    return this.snapshot(service, 'production').servedVersion ?? INITIAL_VERSION;
  }

  /** Called before a forward change: the environment as the release first found it. */
  #remember(target: { releaseId: string; service: string; environment: string; key?: string }): void {
    const at = `${target.releaseId}/${target.environment}`;
    if (keyParts(target.key).undo || this.before.has(at)) return;
    this.before.set(at, this.snapshot(target.service, target.environment));
  }

  #fails(activity: InjectedFailure['activity'], environment: string): boolean {
    const failure = this.failures.find(
      (candidate) =>
        candidate.activity === activity && candidate.environment === environment && candidate.times > 0,
    );
    if (!failure) return false;
    failure.times -= 1;
    return true;
  }

  async #logChange(
    target: { releaseId: string; service: string; environment: string; key?: string },
    action: string,
    undoOverride?: boolean,
  ): Promise<void> {
    const parts = keyParts(target.key);
    const undo = undoOverride ?? parts.undo;
    const entry: WorldAction = {
      seq: this.log.length + 1,
      releaseId: target.releaseId,
      service: target.service,
      environment: target.environment,
      action,
      undo,
      ...(parts.entryId ? { entryId: parts.entryId } : {}),
    };
    this.log.push(entry);
    if (!undo && target.environment === 'production') {
      const { rows } = await this.pool.query(
        `SELECT gate_id, actor FROM release_decisions
          WHERE release_id = $1 AND outcome = 'counted' AND decision IN ('approve', 'confirm')`,
        [target.releaseId],
      );
      entry.approvalsBefore = rows.map((row) => ({
        gateId: row.gate_id as string,
        actor: row.actor as string,
      }));
    }
  }

  #undoFails(environment: string, undo: boolean): void {
    if (undo && this.#fails('undo', environment)) {
      throw ApplicationFailure.nonRetryable(
        `the target did not answer ${marker(environment)}`,
        'TargetUnreachable',
      );
    }
  }

  /** Stand-ins for every activity that touches a target, runs a command or reads the calendar. */
  activities(): Partial<RunwayActivities> {
    const world = this;
    const checkFailed = (what: string, environment: string) =>
      ApplicationFailure.nonRetryable(
        `${what} failed its check (${marker(environment)})`,
        'TargetCheckFailed',
      );
    return {
      async inspectTarget(target) {
        const colours = world.#colours.get(key(target.service, target.environment)) as ColourState;
        const version = (colour: 'blue' | 'green') =>
          colours.versions[colour] ? { version: colours.versions[colour] as string } : null;
        return {
          activeColour: colours.active,
          colours: { blue: version('blue'), green: version('green') },
        } as never;
      },
      async deployToColour(target) {
        const colours = world.#colours.get(key(target.service, target.environment)) as ColourState;
        world.#remember(target);
        colours.versions[target.colour] = target.version;
        await world.#logChange(target, `deploy ${target.version} to ${target.colour}`);
        return { durationMs: 1 } as never;
      },
      async checkColour(target) {
        if (world.#fails('checkColour', target.environment))
          throw checkFailed(target.colour, target.environment);
        return { durationMs: 1 } as never;
      },
      async switchTraffic(target) {
        const colours = world.#colours.get(key(target.service, target.environment)) as ColourState;
        const { undo } = keyParts(target.key);
        world.#undoFails(target.environment, undo);
        if (colours.active === target.colour) return { durationMs: 1 } as never;
        if (target.expectActive !== undefined && target.expectActive !== colours.active) {
          throw ApplicationFailure.nonRetryable(`active is ${colours.active}`, 'TargetChanged');
        }
        colours.active = target.colour;
        await world.#logChange(target, `switch to ${target.colour}`);
        return { durationMs: 1 } as never;
      },
      async retireColour(target) {
        const colours = world.#colours.get(key(target.service, target.environment)) as ColourState;
        world.#undoFails(target.environment, true);
        if (colours.active === target.colour) colours.active = null;
        await world.#logChange(target, `retire ${target.colour}`, true);
        return { durationMs: 1 } as never;
      },
      async listInstances(target) {
        const instances = world.#instances.get(key(target.service, target.environment)) as Map<
          string,
          string
        >;
        return [...instances].map(([instance, version]) => ({ instance, version, healthy: true }));
      },
      async updateInstance(target) {
        const instances = world.#instances.get(key(target.service, target.environment)) as Map<
          string,
          string
        >;
        const { undo } = keyParts(target.key);
        world.#undoFails(target.environment, undo);
        const current = instances.get(target.instance);
        if (current === target.version) return { durationMs: 1 };
        if (current !== target.expectVersion) {
          throw ApplicationFailure.nonRetryable(`${target.instance} runs ${current}`, 'TargetChanged');
        }
        world.#remember(target);
        instances.set(target.instance, target.version);
        await world.#logChange(target, `update ${target.instance} to ${target.version}`);
        return { durationMs: 1 };
      },
      async checkInstance(target) {
        if (world.#fails('checkInstance', target.environment))
          throw checkFailed(target.instance, target.environment);
        return { durationMs: 1 };
      },
      async currentConfig(target) {
        return { revision: world.#revisions.get(key(target.service, target.environment)) ?? null };
      },
      async applyConfig(target) {
        const at = key(target.service, target.environment);
        const { undo } = keyParts(target.key);
        world.#undoFails(target.environment, undo);
        if (world.#revisions.get(at) === target.revision) return { durationMs: 1 };
        if ((world.#revisions.get(at) ?? null) !== target.expectRevision) {
          throw ApplicationFailure.nonRetryable(`revision is ${world.#revisions.get(at)}`, 'TargetChanged');
        }
        world.#remember(target);
        world.#revisions.set(at, target.revision);
        await world.#logChange(target, `apply config ${target.revision}`);
        return { durationMs: 1 };
      },
      async checkConfig(target) {
        if (world.#fails('checkConfig', target.environment))
          throw checkFailed(target.revision, target.environment);
        return { durationMs: 1 };
      },
      async migrationStatus(ref) {
        const migration = world.#migrations.get(key(ref.service, ref.environment)) ?? null;
        return { migrationId: migration, applied: migration ? [migration] : [] } as never;
      },
      async backupDatabase(ref) {
        return {
          backupId: `backup-${ref.releaseId}-${ref.environment}`,
          sizeBytes: 1,
          sha256: '0',
          keyId: 'k',
          durationMs: 1,
          reused: false,
        } as never;
      },
      async migrateUp(ref) {
        if (world.#fails('migrateUp', ref.environment)) {
          throw ApplicationFailure.nonRetryable(
            `migration failed ${marker(ref.environment)}`,
            'MigrationRefused',
          );
        }
        const at = key(ref.service, ref.environment);
        world.#remember(ref);
        const before = world.#migrations.get(at) ?? null;
        world.#migrations.set(at, '003');
        await world.#logChange({ ...ref, key: `${ref.releaseId}/migrate/up` }, 'migrate up to 003');
        return {
          migrationId: '003',
          applied: [before, '003'].filter(Boolean),
          ran: ['003'],
          durationMs: 1,
        } as never;
      },
      async migrateDown(ref) {
        world.#undoFails(ref.environment, true);
        world.#migrations.set(key(ref.service, ref.environment), ref.migrationId);
        await world.#logChange(ref, `migrate down to ${ref.migrationId}`, true);
        return {
          migrationId: ref.migrationId,
          applied: [ref.migrationId],
          ran: ['003'],
          durationMs: 1,
        } as never;
      },
      async runStepCommand(input) {
        const environment = await world.#stepEnvironment(input.releaseId, input.stepId);
        if (world.#fails('runStepCommand', environment)) {
          throw ApplicationFailure.nonRetryable(
            `command exited with 1 ${marker(environment)}`,
            'CommandFailed',
          );
        }
        return { exitCode: 0, durationMs: 1, output: `ok ${marker(environment)}` };
      },
      async verifyService(input) {
        const environment = await world.#stepEnvironment(input.releaseId, input.stepId);
        if (world.#fails('verifyService', environment)) {
          throw ApplicationFailure.nonRetryable(
            `health answered 503 ${marker(environment)}`,
            'VerificationFailed',
          );
        }
        return { attempt: 1, checks: [] } as never;
      },
      async checkReleaseWindow(request): Promise<WindowCheck> {
        const at = Date.parse(request.at);
        if (world.windowOpensAt === undefined || at >= world.windowOpensAt)
          return { kind: 'open', windowEnd: null };
        return {
          kind: 'wait',
          until: new Date(world.windowOpensAt).toISOString(),
          reason: `outside the release windows ${marker(request.environment)}`,
        };
      },
      async measureBaseline() {
        return { source: `stand-in ${marker('production')}`, p95Ms: 12, requests: 40, errors: 0 } as never;
      },
      async bakeService(input) {
        const environment = await world.#stepEnvironment(input.releaseId, input.stepId);
        if (world.holdBake) await world.#hold('bakeService', environment);
        if (world.bakeTrips) {
          const tripped = {
            trigger: 'error-rate',
            measured: 30,
            threshold: 5,
            unit: 'percent',
            summary: `error rate 30% (12 of 40 requests) ${marker(environment)}`,
            atMs: 1500,
          };
          throw bakeUnhealthy(tripped);
        }
        return {
          source: 'stand-in',
          durationMs: 1,
          verdict: 'healthy',
          summary: `healthy ${marker(environment)}`,
          checks: [],
        } as never;
      },
      async verifyRollback(input) {
        world.verifications.push(input);
        const { service } = await world.#release(input.releaseId);
        const snapshot = world.snapshot(service, input.environment);
        // What users get: the colour in service, or for a rolling service what its instances run.
        const versions = [...new Set(Object.values(snapshot.instances))];
        const served = {
          servedVersion:
            service === 'edm-sender'
              ? versions.length === 1
                ? (versions[0] as string)
                : `mixed ${versions.join('/')}`
              : snapshot.servedVersion,
        };
        const unhealthy = world.#fails('verifyRollback', input.environment);
        const passed =
          !unhealthy && (input.expectedVersion === null || served.servedVersion === input.expectedVersion);
        return {
          environment: input.environment,
          passed,
          items: [
            {
              name: 'user access',
              passed,
              detail: `serves ${served.servedVersion} ${marker(input.environment)}`,
            },
          ],
        };
      },
    };
  }

  /** Waits until the harness lets the activity finish; a cancellation ends it cancelled. */
  async #hold(activity: string, environment: string): Promise<void> {
    const context = Context.current();
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const hold: HeldActivity = { activity, environment, release };
    this.holds.add(hold);
    const beat = setInterval(() => context.heartbeat(), 500);
    try {
      const cancelled = context.cancelled.then(
        () => 'cancelled' as const,
        () => 'cancelled' as const,
      );
      if ((await Promise.race([released.then(() => 'released' as const), cancelled])) === 'cancelled') {
        throw new CancelledFailure('cancelled');
      }
    } finally {
      clearInterval(beat);
      this.holds.delete(hold);
    }
  }
}
