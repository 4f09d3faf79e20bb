// Runs a model scenario against the real workflow code on the time-skipping server: records, audit,
// decisions' and starts' verification and alerts are the real activities on PostgreSQL; the API is
// the real service layer (signing, checks, supersession, the reader's views); targets, commands and
// probes are the world's stand-ins. Each event is injected only when the release waits for it.
import { Client, type WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type pg from 'pg';
import { createAlertActivities } from '../../activities/alert-activities.js';
import type { WindowCalendar } from '../../activities/calendar-activities.js';
import { createDecisionActivities } from '../../activities/decision-activities.js';
import type { RunwayActivities } from '../../activities/index.js';
import { createRecordActivities } from '../../activities/record-activities.js';
import { RunAuthority } from '../../activities/run-authority.js';
import { createStartAuthorityActivities } from '../../activities/start-authority-activities.js';
import { principalFor } from '../../api/principal.js';
import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  ReleaseService,
  UnprocessableError,
} from '../../api/release-service.js';
import { RateLimitedError } from '../../api/start-rate-limit.js';
import type { RunwayConfig } from '../../config/config-schema.js';
import { loadConfig } from '../../config/load-config.js';
import { createPool } from '../../db/create-pool.js';
import { createLogger } from '../../logging/logger.js';
import { PlanError } from '../../runbooks/resolve-release-plan.js';
import { toIndexedValueTypes } from '../../stack/temporal-dev-server.js';
import { RELEASE_WORKFLOW_BUNDLE } from '../../worker/create-release-worker.js';
import { releaseStateQuery } from '../../workflows/release-messages.js';
import type { ReleaseState } from '../../workflows/release-model.js';
import { rollbackEnvironment } from '../../workflows/rollback-scope.js';
import { RUNWAY_SEARCH_ATTRIBUTES } from '../../workflows/search-attributes.js';
import { type MigratedDatabase, startMigratedDatabase } from '../support/migrated-database.js';
import { testDataConverter, testWorkerDataConverter } from '../support/payload-keys.js';
import { testDecisionKeys } from '../support/signed-decisions.js';
import { createTimeSkippingTestEnv } from '../support/temporal-test-env.js';
import { ModelWorld, marker } from './model-world.js';
import type { Identity, ModelEvent, ReleaseKind, Scenario } from './scenario.js';

const TASK_QUEUE = 'model-releases';
/** The API's answers to a start it refuses (400, 403, 404, 409, 422, 429). */
const ANSWERS = [
  ConflictError,
  ForbiddenError,
  NotFoundError,
  UnprocessableError,
  PlanError,
  RateLimitedError,
];
/** Statuses in which a release waits for people or time, not for its own work. */
const WAITING: readonly string[] = [
  'awaiting-approval',
  'waiting-window',
  'waiting-decision',
  'awaiting-docs',
];
const SETTLE_TIMEOUT_MS = 30_000;
const STOP_BOUND_MS = 20_000;
const silent = createLogger('model', { level: process.env.RUNWAY_LOG_LEVEL ?? 'silent' });

export interface ScenarioRun {
  scenario: Scenario;
  /** Every release the scenario started (the first, then newer ones), in order. */
  releaseIds: string[];
  /** What happened, a line per event: for the failure report. */
  trace: string[];
  /** Starts the API refused, with the answer. */
  refusedStarts: { what: string; error: string; supersededBefore: string[]; supersededAfter: string[] }[];
  /** The answer to each retry of the first start's Idempotency-Key. */
  retriedStarts: { answeredWith: string | undefined; error?: string }[];
  /** A release that never stopped to wait (its work did not end), with its last state. */
  stuck: string[];
  /** Pending conditions seen in a release's workflow at a quiet moment, at most. */
  maxPendingConditions: number;
}

export interface ModelHarness {
  config: RunwayConfig;
  pool: pg.Pool;
  world: ModelWorld;
  service: ReleaseService;
  run(scenario: Scenario): Promise<ScenarioRun>;
  stop(): Promise<void>;
}

/** What a version rule's inspection would answer, from the world. */
function targetsOf(world: ModelWorld, config: RunwayConfig) {
  return {
    async inspect(service: string, environment: string) {
      const strategy = config.services[service]?.deploy.strategy === 'rolling' ? 'rolling' : 'blue-green';
      const version =
        environment === 'production'
          ? world.productionVersion(service)
          : world.snapshot(service, environment).servedVersion;
      return { service, environment, strategy, version, inspection: {} } as never;
    },
    async deployedBy() {
      return undefined;
    },
  };
}

/** `bundle`: the release workflows already bundled (the test run bundles them once); else bundled here. */
export async function startModelHarness(bundle?: WorkflowBundleWithSourceMap): Promise<ModelHarness> {
  const stops: (() => Promise<unknown>)[] = [];
  const stopAll = async () => {
    // Each part within a bound: a part that hangs on the way down must not keep the rest running.
    for (const stop of stops.reverse()) {
      let bound: NodeJS.Timeout | undefined;
      await Promise.race([
        stop().catch(() => {}),
        new Promise((resolve) => {
          bound = setTimeout(resolve, STOP_BOUND_MS);
        }),
      ]);
      clearTimeout(bound);
    }
  };
  try {
    const [env, database, workflowBundle] = await Promise.all([
      createTimeSkippingTestEnv(),
      startMigratedDatabase(),
      bundle ?? bundleWorkflowCode({ ...RELEASE_WORKFLOW_BUNDLE, logger: undefined as never }),
    ]);
    stops.push(
      () => env.teardown(),
      () => database.stop(),
    );
    return await assemble(env, database, workflowBundle, stops, stopAll);
  } catch (error) {
    await stopAll();
    throw error;
  }
}

async function assemble(
  env: TestWorkflowEnvironment,
  database: MigratedDatabase,
  bundle: WorkflowBundleWithSourceMap,
  stops: (() => Promise<unknown>)[],
  stopAll: () => Promise<void>,
): Promise<ModelHarness> {
  const pool = createPool(database.appUrl, silent, 5);
  stops.push(() => pool.end());
  // Releases are started with Runway's search attributes, as on every server Runway runs on.
  await env.connection.operatorService.addSearchAttributes({
    namespace: 'default',
    searchAttributes: toIndexedValueTypes(RUNWAY_SEARCH_ATTRIBUTES),
  });
  const config = await loadConfig();
  // Two quick starts per person, then one a minute: newer starts can be refused for their rate.
  config.settings.api.startRateLimit = { burst: 2, perMinute: 1 };
  // The last rung repeats daily, not hourly: a gate left for days would otherwise fill the history
  // with notices, and every workflow task here replays all of it.
  if (config.settings.escalation) config.settings.escalation.L3.responseMinutes = 24 * 60;
  // The SLA falls due a few minutes before the gate expires, not at the same instant (stand-in
  // deploys take no time, so a gate opens as the release starts): the time-skipping server cannot
  // take a workflow task that cancels a timer which fired while the task ran — it answers "invalid
  // history builder state" and its clock stops for good. Temporal's server drops the fired event.
  config.settings.releases.sla = {
    hotfix: { minutes: 113, level: 'P1' },
    emergency: { minutes: 27, level: 'P0' },
  };
  const world = new ModelWorld(pool);
  let serverNow = await env.currentTimeMs();
  const refreshClock = async () => {
    serverNow = await env.currentTimeMs();
  };
  const client = new Client({
    connection: env.connection,
    namespace: 'default',
    dataConverter: testDataConverter,
  });
  const calendar: WindowCalendar = {
    check: (request) => (world.activities().checkReleaseWindow as WindowCalendar['check'])(request),
  };
  // A service per scenario: its start rate limit's buckets must not carry over from the last one.
  const newService = () =>
    new ReleaseService({
      client,
      pool,
      config,
      logger: silent,
      decisionKeys: testDecisionKeys,
      windowCalendar: calendar,
      targets: targetsOf(world, config),
      clock: () => serverNow,
    });
  let service = newService();
  const activities = {
    ...createRecordActivities({ pool, logger: silent } as never),
    ...createDecisionActivities({ decisionKeys: testDecisionKeys } as never),
    ...createStartAuthorityActivities({ decisionKeys: testDecisionKeys, pool, logger: silent } as never),
    ...createAlertActivities({ pool, logger: silent } as never),
    ...world.activities(),
  } as RunwayActivities;
  const runAuthority = new RunAuthority({ pool, logger: silent });
  /**
   * Two workers. Scenarios that restart the worker use one without a workflow cache: every workflow
   * task replays the release's history from the start, as on a worker that has just started — each
   * step a determinism check — and, with no sticky queue, the time-skipping server survives its
   * restart, which it does not with one. The others use a worker with a cache, which is never
   * restarted and runs them several times faster.
   */
  const workers = {
    cached: new ModelWorker(env, bundle, activities, runAuthority, `${TASK_QUEUE}-cached`, true),
    uncached: new ModelWorker(env, bundle, activities, runAuthority, `${TASK_QUEUE}-uncached`, false),
  };
  await Promise.all([workers.cached.start(), workers.uncached.start()]);
  stops.push(
    () => workers.cached.stop(),
    () => workers.uncached.stop(),
  );
  const principal = (name: string) => principalFor(name, config);

  let runs = 0;
  const run = async (scenario: Scenario): Promise<ScenarioRun> => {
    runs += 1;
    const worker = scenario.events.some((event) => event.kind === 'restart-worker')
      ? workers.uncached
      : workers.cached;
    config.settings.temporal = { ...config.settings.temporal, taskQueue: worker.taskQueue };
    service = newService();
    harness.service = service;
    const scenarioRun = new ScenarioRunner({
      pool,
      env,
      client,
      service,
      world,
      config,
      principal,
      refreshClock,
      restartWorker: () => worker.restart(),
      workerFailure: () => worker.failure,
      key: `model-${process.pid}-${runs}`,
    });
    return scenarioRun.run(scenario);
  };
  const harness: ModelHarness = { config, pool, world, service, run, stop: stopAll };
  return harness;
}

/** A worker of the model's activities on its own task queue, that can be restarted. */
class ModelWorker {
  #worker: Worker | undefined;
  #running: Promise<void> = Promise.resolve();
  /** Why it stopped by itself, if it did: a bug in the engine or the harness. */
  failure: string | undefined;

  constructor(
    private readonly env: TestWorkflowEnvironment,
    private readonly bundle: WorkflowBundleWithSourceMap,
    private readonly activities: RunwayActivities,
    private readonly runAuthority: RunAuthority,
    readonly taskQueue: string,
    private readonly cached: boolean,
  ) {}

  async start(): Promise<void> {
    const worker = await Worker.create({
      connection: this.env.nativeConnection,
      taskQueue: this.taskQueue,
      workflowBundle: this.bundle,
      activities: this.activities,
      dataConverter: testWorkerDataConverter,
      interceptors: { activity: [this.runAuthority.interceptor()] },
      shutdownGraceTime: '1 second',
      ...(this.cached ? {} : { maxCachedWorkflows: 0 }),
    });
    this.#worker = worker;
    this.#running = worker.run().catch((error: unknown) => {
      this.failure = error instanceof Error ? (error.stack ?? error.message) : String(error);
    });
  }

  async stop(): Promise<void> {
    if (this.#worker?.getState() === 'RUNNING') this.#worker.shutdown();
    await this.#running;
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }
}

interface RunnerDeps {
  pool: pg.Pool;
  env: TestWorkflowEnvironment;
  client: Client;
  service: ReleaseService;
  world: ModelWorld;
  config: RunwayConfig;
  principal: (name: string) => ReturnType<typeof principalFor>;
  refreshClock: () => Promise<void>;
  restartWorker: () => Promise<void>;
  /** Why the worker stopped by itself, if it did: a bug in the engine or the harness. */
  workerFailure: () => string | undefined;
  key: string;
}

const VERSIONS: Record<ReleaseKind, string> = {
  regular: '1.1.0',
  hotfix: '1.0.1',
  emergency: '1.0.2',
  'config-change': 'send-rate-1200',
};

class ScenarioRunner {
  readonly #outcome: ScenarioRun;
  #scenario!: Scenario;

  constructor(private readonly deps: RunnerDeps) {
    this.#outcome = {
      scenario: undefined as never,
      releaseIds: [],
      trace: [],
      refusedStarts: [],
      retriedStarts: [],
      stuck: [],
      maxPendingConditions: 0,
    };
  }

  async run(scenario: Scenario): Promise<ScenarioRun> {
    const { world, env } = this.deps;
    this.#scenario = scenario;
    this.#outcome.scenario = scenario;
    world.reset();
    world.failures = scenario.failures.map((failure) => ({ ...failure }));
    world.bakeTrips = scenario.bakeTrips;
    world.holdBake = scenario.holdBake;
    await this.deps.refreshClock();
    if (scenario.windowClosed) world.windowOpensAt = (await env.currentTimeMs()) + 3 * 3_600_000;
    const started = await this.#start(this.#firstRequest(), scenario.requester, this.deps.key);
    if (!started) {
      // The service is free and the version right: a refusal here means the harness lost its footing.
      this.#outcome.stuck.push(
        `the scenario's first start was refused: ${this.#outcome.refusedStarts[0]?.error}`,
      );
      return this.#outcome;
    }
    await this.#settle();
    for (const [index, event] of scenario.events.entries()) {
      const began = Date.now();
      const said = await this.#inject(event);
      const injectedMs = Date.now() - began;
      await this.#settle();
      this.#outcome.trace.push(
        `${index + 1}. ${JSON.stringify(event)} → ${said} (${injectedMs} ms, settled after ${Date.now() - began - injectedMs} ms)`,
      );
      if (process.env.RUNWAY_MODEL_TRACE) console.log(this.#outcome.trace.at(-1));
    }
    await this.#countConditions();
    const windingDown = Date.now();
    await this.#windDown();
    this.#outcome.trace.push(`wound down in ${Date.now() - windingDown} ms`);
    // How each release ended, for the failure report.
    for (const id of this.#outcome.releaseIds) {
      const record = await this.#record(id);
      this.#outcome.trace.push(
        `${id} ended ${record?.status}${record?.failure ? `: ${record.failure.reason.slice(0, 400)}` : ''}`,
      );
    }
    const failure = this.deps.workerFailure();
    if (failure) this.#outcome.stuck.push(`the worker stopped by itself: ${failure}`);
    return this.#outcome;
  }

  #firstRequest() {
    const { type, service } = this.#scenario;
    return type === 'config-change'
      ? {
          type,
          service,
          version: VERSIONS[type],
          configChange: {
            configRevision: VERSIONS[type],
            reason: 'tune the send rate',
            impact: 'none',
            rollbackPlan: 'previous revision',
          },
        }
      : { type, service, version: VERSIONS[type] };
  }

  async #start(
    request: { type: ReleaseKind; service: string; version: string },
    who: string,
    key?: string,
  ): Promise<string | undefined> {
    const supersededBefore = await this.#superseded();
    await this.deps.refreshClock();
    try {
      const principal = this.deps.principal(who);
      const id = key
        ? (await this.deps.service.startWithKey(request as never, principal, key)).release.id
        : (await this.deps.service.start(request as never, principal)).id;
      if (!this.#outcome.releaseIds.includes(id)) this.#outcome.releaseIds.push(id);
      this.#outcome.trace.push(`started ${id} (${request.type} ${request.version} by ${who})`);
      return id;
    } catch (error) {
      const message = error instanceof Error ? `${error.constructor.name}: ${error.message}` : String(error);
      // What the API answers a caller with (4xx) is a refusal; anything else broke the harness or the engine.
      if (!ANSWERS.some((kind) => error instanceof kind))
        this.#outcome.stuck.push(`a start failed: ${message}`);
      this.#outcome.refusedStarts.push({
        what: `${request.type} ${request.version} by ${who}`,
        error: message,
        supersededBefore,
        supersededAfter: await this.#superseded(),
      });
      this.#outcome.trace.push(`start of ${request.type} ${request.version} by ${who} refused: ${message}`);
      return undefined;
    }
  }

  async #superseded(): Promise<string[]> {
    const ids = this.#outcome.releaseIds;
    const states = await Promise.all(ids.map((id) => this.#record(id)));
    return ids.filter((_, index) => states[index]?.status === 'superseded');
  }

  async #record(id: string) {
    return this.deps.service.get(id, this.deps.principal('admin-zhao')).catch(() => undefined);
  }

  /** The release events are about: the newest one still running. */
  async #current(): Promise<{ id: string; state: ReleaseState } | undefined> {
    for (const id of [...this.#outcome.releaseIds].reverse()) {
      const state = await this.#liveState(id);
      if (state) return { id, state };
    }
    return undefined;
  }

  async #liveState(id: string): Promise<ReleaseState | undefined> {
    const handle = this.deps.client.workflow.getHandle(id);
    const description = await handle.describe().catch(() => undefined);
    if (description?.status.name !== 'RUNNING') return undefined;
    return handle.query(releaseStateQuery).catch(() => undefined);
  }

  /**
   * Until every release waits for people or time (or the harness), or has ended: read from the
   * records and Temporal's description, which cost the workflow nothing (a query replays its history
   * on a worker without a cache).
   */
  async #settle(): Promise<void> {
    const deadline = Date.now() + SETTLE_TIMEOUT_MS;
    let previous = '';
    while (Date.now() < deadline) {
      if (this.deps.world.holds.size > 0) return;
      const ids = this.#outcome.releaseIds;
      const [rows, running] = await Promise.all([
        this.deps.pool.query(
          'SELECT id, status, record_seq, rollback_open_until FROM releases WHERE id = ANY($1) ORDER BY id',
          [ids],
        ),
        Promise.all(
          ids.map((id) =>
            this.deps.client.workflow
              .getHandle(id)
              .describe()
              .then((description) => description.status.name === 'RUNNING' && description.historyLength)
              .catch(() => false),
          ),
        ),
      ]);
      const quiet = rows.rows.every(
        (row) =>
          running[ids.indexOf(row.id)] === false ||
          WAITING.includes(row.status) ||
          (row.status === 'succeeded' && row.rollback_open_until !== null),
      );
      const snapshot = JSON.stringify([rows.rows, running]);
      if (quiet && snapshot === previous) return;
      previous = quiet ? snapshot : '';
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
    const current = await this.#current();
    this.#outcome.stuck.push(
      `${current?.id ?? '?'} did not settle within ${SETTLE_TIMEOUT_MS / 1000} s: ${current?.state.status} at ${current?.state.currentStep}`,
    );
  }

  /** Conditions a workflow keeps waiting on: each step must not leave one behind. */
  async #countConditions(): Promise<void> {
    for (const id of this.#outcome.releaseIds) {
      const trace = await this.deps.client.workflow
        .getHandle(id)
        .query<string>('__stack_trace')
        .catch(() => '');
      const count = (trace.match(/condition/g) ?? []).length;
      this.#outcome.maxPendingConditions = Math.max(this.#outcome.maxPendingConditions, count);
    }
  }

  async #inject(event: ModelEvent): Promise<string> {
    const { world, service } = this.deps;
    const current = await this.#current();
    const attempt = async (what: () => Promise<unknown>): Promise<string> => {
      await this.deps.refreshClock();
      try {
        const answer = await what();
        return `ok ${JSON.stringify(answer).slice(0, 160)}`;
      } catch (error) {
        return `refused: ${error instanceof Error ? `${error.constructor.name}: ${error.message}` : String(error)}`.slice(
          0,
          240,
        );
      }
    };
    const who = (name: Identity) => this.deps.principal(name);
    const waiting = current?.state;
    switch (event.kind) {
      case 'answer':
      case 'fill-seat': {
        const gate = waiting?.status === 'awaiting-approval' ? waiting.pendingGate : undefined;
        if (!current || !gate) return 'not waiting at a gate';
        const step = (await this.#record(current.id))?.plan.steps.find(
          (candidate) => candidate.id === gate.gateId,
        );
        const person = event.kind === 'answer' ? event.who : this.#seatFiller(step, gate, current.state);
        if (!person) return 'nobody left who may fill a seat';
        const comment = `${event.kind === 'answer' ? event.answer : 'approve'} ${marker(gate.environment)}`;
        if (step?.kind === 'confirm') {
          return attempt(() =>
            service.confirm(current.id, who(person as Identity), { stepId: step.id, note: comment }),
          );
        }
        const decision = event.kind === 'answer' ? event.answer : 'approve';
        return attempt(() =>
          service.decide(current.id, who(person as Identity), { decision, comment }, 'approval'),
        );
      }
      case 'override': {
        if (!current || waiting?.status !== 'waiting-window') return 'not waiting for a window';
        return attempt(() =>
          service.decide(
            current.id,
            who(event.who),
            { decision: 'approve', comment: `override ${marker('production')}` },
            'window',
          ),
        );
      }
      case 'order': {
        if (!current) {
          // After success a release may still be rolled back while its record is open.
          const last = this.#outcome.releaseIds.at(-1);
          if (!last) return 'no release';
          return attempt(() =>
            service.order(last, who(event.who), event.order, `because ${marker('production')}`),
          );
        }
        // Said about the environment the order is about: where its newest change is.
        const plan = (await this.#record(current.id))?.plan ?? { steps: [] };
        const about = rollbackEnvironment(plan, current.state);
        return attempt(() =>
          service.order(current.id, who(event.who), event.order, `because ${marker(about)}`),
        );
      }
      case 'guided': {
        if (!current || waiting?.status !== 'waiting-decision') return 'not waiting for a decision';
        const environment = waiting.pendingDecision?.environment ?? 'production';
        return attempt(() =>
          service.decideFailure(current.id, who(event.who), event.decision, `decided ${marker(environment)}`),
        );
      }
      case 'advance': {
        if (world.holds.size > 0) return 'an activity is held';
        await this.#sleep(event.minutes * 60_000);
        return `advanced ${event.minutes} min`;
      }
      case 'newer-start': {
        const type =
          event.type === 'emergency' || event.type === 'hotfix' || event.type === 'regular'
            ? event.type
            : 'regular';
        const running = world.productionVersion(this.#scenario.service);
        const [major, minor, patch] = running.split('.').map(Number) as [number, number, number];
        const version =
          event.versionMove === 'down'
            ? '0.9.0'
            : type === 'regular'
              ? `${major}.${minor + 1}.0`
              : `${major}.${minor}.${patch + 1}`;
        const id = await this.#start({ type, service: this.#scenario.service, version }, event.who);
        return id ? `started ${id}` : 'refused';
      }
      case 'retry-start': {
        await this.deps.refreshClock();
        try {
          const answer = await service.startWithKey(
            this.#firstRequest() as never,
            who(this.#scenario.requester),
            this.deps.key,
          );
          this.#outcome.retriedStarts.push({ answeredWith: answer.release.id });
          return `answered ${answer.release.id} (${answer.created ? 'created' : 'already'})`;
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          this.#outcome.retriedStarts.push({ answeredWith: undefined, error: message });
          return `refused: ${message}`;
        }
      }
      case 'restart-worker': {
        if (world.holds.size > 0) return 'an activity is held';
        await this.deps.restartWorker();
        return 'worker restarted';
      }
      case 'release-hold': {
        if (world.holds.size === 0) return 'nothing held';
        for (const hold of world.holds) hold.release();
        return 'released';
      }
      case 'document': {
        if (!current || waiting?.status !== 'awaiting-docs') return 'owes no documents';
        return attempt(() =>
          service.postmortems.attach(current.id, who(event.who), `https://wiki.example.com/${current.id}`),
        );
      }
    }
  }

  /** Someone on the gate's roster with a missing role, not the requester, who has not decided yet. */
  #seatFiller(
    step: { kind: string; roster?: { identity: string; roles: string[] }[] } | undefined,
    gate: NonNullable<ReleaseState['pendingGate']>,
    state: ReleaseState,
  ): string | undefined {
    const decided = new Set(state.decisions.filter((d) => d.gateId === gate.gateId).map((d) => d.actor));
    const roster = step?.roster ?? [];
    for (const role of gate.missing) {
      const person = roster.find(
        (entry) =>
          entry.roles.includes(role) &&
          entry.identity !== this.#scenario.requester &&
          !decided.has(entry.identity),
      );
      if (person) return person.identity;
    }
    return undefined;
  }

  /** Time passes on the server; what holds its clock is traced if it takes long (a diagnosis aid). */
  async #sleep(ms: number): Promise<void> {
    const probe = setInterval(async () => {
      for (const id of this.#outcome.releaseIds) {
        const description = await this.deps.client.workflow
          .getHandle(id)
          .describe()
          .catch(() => undefined);
        console.log(
          `sleep of ${ms} ms still waiting: ${id} ${description?.status.name} ${JSON.stringify(description?.raw.pendingActivities?.map((a) => [a.activityType?.name, a.state, a.attempt]))} task ${JSON.stringify(description?.raw.pendingWorkflowTask)}`,
        );
      }
    }, 20_000);
    try {
      await this.deps.env.sleep(ms);
    } finally {
      clearInterval(probe);
    }
  }

  /** Lets every release end: held work goes on, gates and decisions expire, documents are attached. */
  async #windDown(): Promise<void> {
    const { world, service } = this.deps;
    // From here on nothing new is held: a bake that starts now bakes.
    world.holdBake = false;
    for (let round = 0; round < 6; round++) {
      for (const hold of world.holds) hold.release();
      await this.#settle();
      const current = await this.#current();
      if (!current) return;
      if (current.state.status === 'awaiting-docs') {
        await this.deps.refreshClock();
        await service.postmortems
          .attach(
            current.id,
            this.deps.principal(this.#scenario.requester),
            `https://wiki.example.com/${current.id}`,
          )
          .catch(() => undefined);
        continue;
      }
      // A held activity stops the server's clock (time skips only while no activity runs).
      if (world.holds.size > 0) continue;
      await this.#sleep(8 * 24 * 3_600_000);
    }
    for (const id of this.#outcome.releaseIds) {
      const handle: WorkflowHandle = this.deps.client.workflow.getHandle(id);
      if ((await handle.describe()).status.name === 'RUNNING') {
        this.#outcome.trace.push(`${id} still running after the wind-down: terminated`);
        await handle.terminate('model wind-down');
      }
    }
  }
}
