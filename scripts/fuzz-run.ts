// One fuzz run of the API: a real stack (PostgreSQL, Temporal, the demo target, the worker and the
// API on free ports), schemathesis against its served OpenAPI document as every identity, then the
// verdict: no schemathesis failure, enough 2xx per operation, and no half-started release.
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import pg from 'pg';
import { parse, stringify } from 'yaml';
import type { WindowCalendar } from '../activities/calendar-activities.js';
import type { RunwayConfig } from '../config/config-schema.js';
import { DEFAULT_RUNBOOK_DIR, loadRunbook } from '../runbooks/load-runbook.js';
import { resolveReleasePlan } from '../runbooks/resolve-release-plan.js';
import { DEMO_SERVICE } from '../stack/demo-target-layout.js';
import { projectRoot } from '../stack/temporal-binaries.js';
import { startTestStack, type TestStack } from '../test/support/runway-stack.js';
import { RELEASE_WORKFLOW_BUNDLE } from '../worker/create-release-worker.js';
import { RELEASE_TYPES, type ReleaseType } from '../workflows/release-model.js';
import { environmentsDeployedBy } from '../workflows/steps/step-kinds.js';
import { settledConsistencyProblems } from './fuzz-invariants.js';
import {
  type FuzzReport,
  formatFuzzReport,
  readFuzzReport,
  type ShareFloor,
  shareProblems,
} from './fuzz-report.js';
import { resolveSchemathesisPython } from './fuzz-tools.js';

export interface FuzzOptions {
  /** Cases per operation and phase (schemathesis --max-examples). */
  maxExamples: number;
  /**
   * Cases per phase for the decision operations (approvals, window override, rollback, abort,
   * guided decisions, confirmations, post-hoc documents) and the services endpoint, fewer than the
   * rest: their input is an id and a short body, and each of
   * their 2xx answers needs a release in the right state, so a thousand more cases would only
   * repeat 409 and 404.
   */
  decisionExamples: number;
  /** The run fails with fewer cases than this in all. */
  minCases: number;
  /** Share of positive cases aimed at the live state (see scripts/fuzz-hooks.py). */
  steer?: number;
  seed?: string;
  /**
   * Schemathesis workers. One by default: with several threads, hypothesis's ast.parse calls
   * collide in CPython 3.11 ("AST constructor recursion depth mismatch", a runtime error).
   */
  workers?: number;
  /** How long, in all, steered decisions may wait for a release to reach its gate. */
  waitBudgetSeconds?: number;
  /** Keep schemathesis's reports and output here; by default a temp folder that is removed. */
  artifactsDir?: string;
  /** Progress lines, and schemathesis's own output when `echo` is set. */
  log?: (line: string) => void;
  echo?: boolean;
}

export interface FuzzOutcome {
  ok: boolean;
  report: FuzzReport;
  /** Every reason the run failed, as sentences. */
  problems: string[];
  summary: string;
}

/**
 * The checks: no 500, every answer as documented (status, content type, body schema, headers),
 * refusals of invalid input, 401 without a token, 405 for undeclared methods, a created release
 * readable at once, and input the document calls valid never refused as invalid (400): it may
 * still be refused by authority (401, 403), state (404, 409, 422), rate (429) or a dependency
 * (503), which POSITIVE_DATA_ANSWERS lists. Left out: object_level_authorization, because every
 * identity with `read` may read every release of its environments by design (SPEC 7), which that
 * check would report.
 */
const EXCLUDED_CHECKS = ['object_level_authorization'];
export const POSITIVE_DATA_ANSWERS = ['2xx', '401', '403', '404', '409', '422', '429', '503'];

/**
 * 2xx floors, over all of an operation's cases (negative ones and schemathesis's own auth cases
 * included). Any operation: 5%, well above what a run whose tokens failed would reach (0%) and
 * well below what the steered cases give. Starts: 3%, because most identities lack
 * `deploy` (403) and one release per service runs at a time (409). Decisions: 1%, because each
 * release has only two approval seats and two override seats and needs a few seconds of work to
 * reach its gate: their 2xx answers are rationed by the workflow, not by the fuzzer. Rollback and
 * abort: 1%, because each 2xx ends a release that was still running, and only the two identities
 * with `deploy` may order one. Guided decisions: none required, because a 2xx needs a release
 * waiting in guided failure, which needs a failing step the runbook marks guided; the fuzz stack
 * deploys versions that pass, so these cases exercise validation, roles and the 409s only. The
 * same holds for confirmations and post-hoc documents: a 2xx needs a release waiting at a manual
 * checklist item or owing its documents, which only the hotfix and emergency runbooks have, and the
 * fuzz stack's releases are regular ones.
 */
export const SHARE_FLOOR: ShareFloor = {
  default: 0.05,
  perOperation: {
    'POST /api/v1/releases': 0.03,
    'POST /api/v1/releases/{id}/approvals': 0.01,
    'POST /api/v1/releases/{id}/window-override': 0.01,
    'POST /api/v1/releases/{id}/rollback': 0.01,
    'POST /api/v1/releases/{id}/abort': 0.01,
    'POST /api/v1/releases/{id}/decision': 0,
    'POST /api/v1/releases/{id}/confirmations': 0,
    'POST /api/v1/releases/{id}/postmortem': 0,
  },
};

/**
 * Release windows closed most of the time (open 20 s of every 3 minutes), so releases wait at
 * their window and the override has something to act on, while one nobody overrides still ends.
 */
const CYCLE_MS = 180_000;
const OPEN_MS = 20_000;
const FUZZ_WINDOW_CALENDAR: WindowCalendar = {
  check: async ({ at }) => {
    const now = Date.parse(at);
    const cycleStart = now - (now % CYCLE_MS);
    const opensAt = cycleStart + CYCLE_MS - OPEN_MS;
    return now >= opensAt
      ? { kind: 'open', windowEnd: new Date(cycleStart + CYCLE_MS).toISOString() }
      : {
          kind: 'wait',
          until: new Date(opensAt).toISOString(),
          reason: 'the fuzz run opens release windows for 20 s every 3 minutes',
        };
  },
};

/** The run's schemathesis.toml: what valid input may be answered, and the decisions' budget. */
function schemathesisConfig(maxExamples: number): string {
  return [
    '[checks.positive_data_acceptance]',
    `expected-statuses = ${JSON.stringify(POSITIVE_DATA_ANSWERS)}`,
    '',
    '[[operations]]',
    // The services endpoint asks a target through its driver: as dear per case as a decision.
    'include-path-regex = "/(approvals|window-override|rollback|abort|decision|confirmations|postmortem|environments/[^/]+)$"',
    '',
    '[operations.generation]',
    `max-examples = ${maxExamples}`,
    '',
  ].join('\n');
}

/**
 * Starts are rate-limited per identity; the fuzzer sends hundreds a minute as ops-wang. Bakes and
 * baselines are cut to seconds: a release baking for the default five minutes would hold its
 * service's lock for most of a run, and the gate cases need new releases. A newer start is refused
 * rather than superseding a release at its gate: the fuzzer starts releases all the time, and
 * superseding would leave no release waiting for the approvals and overrides to act on.
 */
function configureForFuzzing(config: RunwayConfig): void {
  config.settings.api.startRateLimit = { burst: 10_000, perMinute: 10_000 };
  config.settings.releases.whenNewerStarts = 'refuse';
  for (const service of Object.values(config.services)) {
    Object.assign(service.analysis, { bakeSeconds: 5, baselineSeconds: 1, recoverySeconds: 1 });
  }
}

/**
 * The regular runbook's steps the fuzz stack keeps: its gates and what comes after them. The fuzz
 * run tests the API, and the gate cases need releases at their gates: the full runbook spends half a
 * minute on TEST and STAGING first, longer than a short run can wait on a busy machine.
 */
const FUZZ_REGULAR_STEPS = [
  'change-approval',
  'release-window',
  'baseline-production',
  'deploy-production',
  'verify-production',
  'bake-production',
];

/** The shipped runbooks, with the regular one cut to FUZZ_REGULAR_STEPS. */
async function fuzzRunbookDir(artifacts: string): Promise<string> {
  const dir = join(artifacts, 'runbooks');
  await cp(DEFAULT_RUNBOOK_DIR, dir, { recursive: true, filter: (path) => !path.endsWith('.ts') });
  const file = join(dir, 'regular.yml');
  const regular = parse(await readFile(file, 'utf8')) as { steps: { id: string }[] };
  regular.steps = regular.steps.filter((step) => FUZZ_REGULAR_STEPS.includes(step.id));
  await writeFile(file, stringify(regular));
  return dir;
}

/** What scripts/fuzz-hooks.py needs to know about the stack (RUNWAY_FUZZ_CONFIG). */
async function hookConfig(
  stack: TestStack,
  options: FuzzOptions,
  operations: Map<string, string | undefined>,
  runbookDir: string,
) {
  const { config } = stack;
  const environments = Object.keys(config.environments);
  const identities = Object.fromEntries(
    Object.entries(stack.tokens).map(([name, token]) => [
      name,
      {
        token,
        roles: Object.fromEntries(
          environments.map((environment) => [
            environment,
            config.environments[environment]?.grants[name] ?? [],
          ]),
        ),
      },
    ]),
  );
  const services = Object.keys(config.services);
  const releaseTypes: ReleaseType[] = [];
  const deployedTo = new Set<string>();
  for (const type of RELEASE_TYPES) {
    // The fixture starts releases by version; a config-change names a configuration bundle instead
    // (its bodies come from the schema alone). An emergency's one seat is the on-call lead's, and the
    // only on-call lead also starts releases: one it started could never be approved and would hold
    // the service until its gate expired, starving every decision case after it.
    if (type === 'config-change' || type === 'emergency') continue;
    const runbook = await loadRunbook(type, runbookDir).catch(() => undefined);
    if (!runbook) continue;
    releaseTypes.push(type);
    for (const service of services) {
      const plan = resolveReleasePlan({ runbook, config, service, version: '1.0.0' });
      for (const environment of environmentsDeployedBy(plan)) deployedTo.add(environment);
    }
  }
  const holds = (name: string, role: string, where: string[]) =>
    where.every((environment) => identities[name]?.roles[environment]?.includes(role as never));
  const names = Object.keys(identities);
  const observer = names.find((name) => holds(name, 'read', environments));
  if (!observer) throw new Error('the fuzz run needs an identity with read in every environment');
  return {
    apiUrl: stack.runway.apiUrl,
    identities,
    services,
    // The stack runs edm-web's demo only (edm-sender's instances would be sixteen more processes):
    // a release of another service fails at its first deploy, so the fixture drives only these.
    drivenServices: services.filter((service) => service === DEMO_SERVICE),
    releaseTypes,
    environments,
    starters: names.filter((name) => holds(name, 'deploy', [...deployedTo])),
    observer,
    operationRoles: Object.fromEntries([...operations].filter(([, role]) => role && role !== 'public')),
    steer: options.steer ?? 0.5,
    waitBudgetSeconds: options.waitBudgetSeconds ?? 30,
    seed: options.seed ?? String(Date.now()),
  };
}

/** The document's operations ("METHOD /path") and the role each declares (x-runway-role). */
async function documentOperations(apiUrl: string): Promise<Map<string, string | undefined>> {
  const response = await fetch(`${apiUrl}/openapi.json`);
  if (!response.ok) throw new Error(`GET /openapi.json answered ${response.status}`);
  const document = (await response.json()) as {
    paths: Record<string, Record<string, { 'x-runway-role'?: string }>>;
  };
  return new Map(
    Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, operation]) => [
        `${method.toUpperCase()} ${path}`,
        operation['x-runway-role'],
      ]),
    ),
  );
}

function runSchemathesis(
  python: string,
  configFile: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  outputFile: string,
  echo: ((line: string) => void) | undefined,
): Promise<{ exitCode: number; output: string }> {
  return new Promise((resolve, reject) => {
    const output = createWriteStream(outputFile);
    const chunks: Buffer[] = [];
    const child = spawn(python, ['-m', 'schemathesis.cli', '--config-file', configFile, 'run', ...args], {
      env: { ...process.env, ...env },
      // Its caches (.schemathesis/, .hypothesis/) land beside the run's reports, not in the checkout.
      cwd: dirname(outputFile),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    for (const stream of [child.stdout, child.stderr]) {
      stream.on('data', (chunk: Buffer) => {
        output.write(chunk);
        chunks.push(chunk);
        echo?.(chunk.toString('utf8').trimEnd());
      });
    }
    child.on('error', reject);
    child.on('close', (code) =>
      output.end(() => resolve({ exitCode: code ?? 1, output: Buffer.concat(chunks).toString('utf8') })),
    );
  });
}

const MAX_FINDINGS_CHARS = 12_000;

/** Schemathesis's own account of what it found (requests, responses, how to reproduce). */
function findingsOf(output: string): string[] {
  const start = output.search(/^=+ (FAILURES|ERRORS) =+$/m);
  if (start < 0) return [];
  const end = output.slice(start).search(/^=+ (WARNINGS|SUMMARY) =+$/m);
  const findings = output.slice(start, end < 0 ? undefined : start + end).trimEnd();
  const cut = findings.length > MAX_FINDINGS_CHARS;
  return [
    `${findings.slice(0, MAX_FINDINGS_CHARS)}${cut ? '\n… (the rest in schemathesis.log: keep it with --keep)' : ''}`,
    '',
  ];
}

export async function runApiFuzz(options: FuzzOptions): Promise<FuzzOutcome> {
  const log = options.log ?? (() => {});
  const python = resolveSchemathesisPython();
  const artifacts = options.artifactsDir ?? (await mkdtemp(join(tmpdir(), 'runway-fuzz-')));
  await mkdir(artifacts, { recursive: true });
  const started = Date.now();
  const runbookDir = await fuzzRunbookDir(artifacts);
  const stack = await startTestStack(await bundleWorkflowCode(RELEASE_WORKFLOW_BUNDLE), {
    configure: configureForFuzzing,
    windowCalendar: FUZZ_WINDOW_CALENDAR,
    runbookDir,
  });
  const pool = new pg.Pool({ connectionString: stack.databaseUrl, max: 2 });
  try {
    log(`stack up in ${((Date.now() - started) / 1000).toFixed(1)} s: ${stack.runway.apiUrl}`);
    const operations = await documentOperations(stack.runway.apiUrl);
    const config = await hookConfig(stack, options, operations, runbookDir);
    const files = { har: join(artifacts, 'cases.har.json'), json: join(artifacts, 'run.json') };
    const configFile = join(artifacts, 'schemathesis.toml');
    await writeFile(configFile, schemathesisConfig(options.decisionExamples));
    const { exitCode, output } = await runSchemathesis(
      python,
      configFile,
      [
        `${stack.runway.apiUrl}/openapi.json`,
        '--checks',
        'all',
        '--exclude-checks',
        EXCLUDED_CHECKS.join(','),
        '--phases',
        'examples,coverage,fuzzing,stateful',
        '--max-examples',
        String(options.maxExamples),
        '--workers',
        String(options.workers ?? 1),
        '--seed',
        config.seed,
        '--generation-database',
        'none',
        '--request-timeout',
        '30',
        '--report',
        'har,json,junit',
        '--report-dir',
        artifacts,
        '--report-har-path',
        files.har,
        '--report-json-path',
        files.json,
        '--no-color',
      ],
      {
        SCHEMATHESIS_HOOKS: join(projectRoot, 'scripts', 'fuzz-hooks.py'),
        RUNWAY_FUZZ_CONFIG: JSON.stringify(config),
        // The hooks file lives in the repository: no __pycache__ beside it.
        PYTHONDONTWRITEBYTECODE: '1',
      },
      join(artifacts, 'schemathesis.log'),
      options.echo ? log : undefined,
    );
    if (!existsSync(files.json) || !existsSync(files.har)) {
      throw new Error(
        `schemathesis exited with code ${exitCode} and wrote no report:\n${output.slice(-4000)}`,
      );
    }
    const report = await readFuzzReport(files, [...operations.keys()]);
    log('checking that every release record has its workflow and the other way round…');
    const invariants = await settledConsistencyProblems(pool, stack.runway.client);
    // Dry runs alone can meet the starts' 2xx floor: real starts are counted apart, from the
    // records (cases and the hooks that bring releases to their gates both start through the API).
    const releasesStarted = Number((await pool.query('SELECT count(*) AS n FROM releases')).rows[0]?.n ?? 0);
    const realStarts =
      report.operations.find((op) => op.operation === 'POST /api/v1/releases')?.statuses['201'] ?? 0;
    log(
      `releases started through the API: ${releasesStarted} (${realStarts} of them by schemathesis's own cases)`,
    );
    const problems = [
      ...(releasesStarted === 0
        ? ['no release was started through the API: only dry runs answered 2xx']
        : []),
      ...(report.cases < options.minCases
        ? [`only ${report.cases} cases ran, fewer than ${options.minCases}`]
        : []),
      ...report.failures.map(
        (failure) =>
          `schemathesis: ${failure.code} ${failure.title} ×${failure.count} (${failure.operations.join(', ')})`,
      ),
      ...report.errors.map((error) => `schemathesis error: ${error}`),
      ...(exitCode !== 0 && report.failures.length === 0 && report.errors.length === 0
        ? [`schemathesis exited with code ${exitCode} (see ${join(artifacts, 'schemathesis.log')})`]
        : []),
      ...shareProblems(report, SHARE_FLOOR),
      ...invariants.map((problem) => `half-started release: ${problem}`),
    ];
    const summary = [
      ...findingsOf(output),
      formatFuzzReport(report),
      `releases consistent (PostgreSQL ⇄ Temporal, idempotency keys): ${invariants.length === 0 ? 'yes' : 'NO'}`,
      `whole run: ${((Date.now() - started) / 1000).toFixed(0)} s`,
      problems.length === 0 ? 'verdict: pass' : `verdict: FAIL\n  ${problems.join('\n  ')}`,
    ].join('\n');
    return { ok: problems.length === 0, report, problems, summary };
  } finally {
    await pool.end();
    await stack.stop();
    if (!options.artifactsDir) await rm(artifacts, { recursive: true, force: true });
  }
}
