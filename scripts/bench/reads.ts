// Reads under load: GET /releases/{id} of a finished 21-step release, GET /releases?limit=20 and
// GET /calendar on Runway's API process (compiled, as production runs it), each beside a bare
// hono + pg app doing the same queries and the same committed audit write (reads-bare-app.ts),
// the two measured alternately, round after round, in one run.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import autocannon from 'autocannon';
import pg from 'pg';
import { getFreePort } from '../../stack/free-port.js';
import { projectRoot } from '../../stack/temporal-binaries.js';
import { waitUntilAnswers } from '../../stack/wait-until-answers.js';
import { releaseToProduction } from './bench-api.js';
import { startReleaseStack } from './bench-release-stack.js';
import { type BenchRow, comparedRow, figure } from './bench-row.js';
import { startedThings, stoppedOnInterrupt } from './stopped-on-interrupt.js';

export interface ReadOptions {
  rounds: number;
  /** Seconds per round and side. */
  seconds: number;
  connections: number;
}

/** One round of load on one URL: what autocannon saw, and the audit rows the server committed. */
interface Round {
  requestsPerSecond: number;
  p50: number;
  p975: number;
  answered: number;
  audited: number;
  bytes: number;
}

/** The reader: dev-chen reads every environment, so the whole release is shown. */
const READER = 'dev-chen';
/** The list shows 20 releases: the finished one and copies of its record. */
const LISTED = 20;

async function load(url: string, token: string, options: ReadOptions, countAudit: () => Promise<number>) {
  const before = await countAudit();
  const result = await autocannon({
    url,
    connections: options.connections,
    duration: options.seconds,
    headers: { authorization: `Bearer ${token}` },
  });
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(
      `${url}: ${result.non2xx} answers other than 2xx (${JSON.stringify(result.statusCodeStats)}), ${result.errors} errors`,
    );
  const round: Round = {
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p975: result.latency.p97_5,
    answered: result['2xx'],
    // Requests cut off when the round ends may still be recorded: at least one row per answer.
    audited: (await countAudit()) - before,
    bytes: result.throughput.total / Math.max(1, result.requests.total),
  };
  if (round.audited < round.answered)
    throw new Error(`${url}: ${round.answered} answers but only ${round.audited} audit rows committed`);
  return round;
}

/** Copies of the finished release's record under other ids, so the list has `LISTED` rows. */
async function copyRelease(databaseUrl: string, id: string, copies: number): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    for (let copy = 1; copy <= copies; copy++) {
      await client.query(
        `INSERT INTO releases
         SELECT (jsonb_populate_record(NULL::releases,
           to_jsonb(r) || jsonb_build_object('id', $2::text, 'run_id', NULL, 'holds_lock', false))).*
         FROM releases r WHERE id = $1`,
        [id, `${id}-copy-${copy}`],
      );
    }
  } finally {
    await client.end();
  }
}

async function startBareApp(
  databaseUrl: string,
  token: string,
): Promise<{ url: string; stop(): Promise<void> }> {
  const port = await getFreePort();
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', 'scripts/bench/reads-bare-app.ts'],
    {
      cwd: projectRoot,
      env: { ...process.env, DATABASE_URL: databaseUrl, PORT: String(port), BENCH_TOKEN: token },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  const url = `http://127.0.0.1:${port}`;
  const exited = once(child, 'exit');
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  await waitUntilAnswers(`${url}/healthz`, { exited, what: 'the bare app' });
  return {
    url,
    async stop() {
      process.off('exit', killOnExit);
      child.kill('SIGTERM');
      await exited;
    },
  };
}

interface Endpoint {
  name: string;
  path: string;
  /** The bare app's path; none: the row has no baseline. */
  barePath?: string;
  action: string;
  requestsTarget: number;
  /** Whether the row holds Runway to its baseline (ratio ≥ 0.8) and to p97.5 < 100 ms. */
  compared: boolean;
}

function endpoints(releaseId: string): Endpoint[] {
  const path = `/api/v1/releases/${encodeURIComponent(releaseId)}`;
  const week = 'from=2026-12-07T00:00:00.000Z&to=2026-12-14T00:00:00.000Z';
  return [
    {
      name: 'GET /releases/{id}',
      path,
      barePath: path,
      action: 'releases.get',
      requestsTarget: 1000,
      compared: true,
    },
    {
      name: `GET /releases?limit=${LISTED}`,
      path: `/api/v1/releases?limit=${LISTED}`,
      barePath: `/api/v1/releases?limit=${LISTED}`,
      action: 'releases.list',
      requestsTarget: 1000,
      compared: true,
    },
    {
      name: 'GET /calendar (7 days)',
      path: `/api/v1/calendar?environment=production&${week}`,
      action: 'calendar.read',
      requestsTarget: 1500,
      compared: false,
    },
  ];
}

const RATIO_TARGET = 0.8;
const P975_TARGET_MS = 100;

function rowsFor(endpoint: Endpoint, runway: Round[], bare: Round[]): BenchRow[] {
  const baseline = (pick: (round: Round) => number) =>
    bare.length > 0 ? { baseline: figure('bare hono + pg', bare.map(pick)) } : {};
  const throughput = comparedRow({
    group: 'reads',
    name: `${endpoint.name} req/s`,
    unit: 'req/s',
    runway: figure(
      'Runway API',
      runway.map((round) => round.requestsPerSecond),
    ),
    ...baseline((round) => round.requestsPerSecond),
    note: `${Math.round(runway[0]?.bytes ?? 0)} bytes per answer`,
  });
  const ratioMet = throughput.ratio === undefined || throughput.ratio >= RATIO_TARGET;
  throughput.target = `≥ ${endpoint.requestsTarget}${endpoint.compared ? `, ratio ≥ ${RATIO_TARGET}` : ''}`;
  throughput.met = throughput.runway.value >= endpoint.requestsTarget && ratioMet;
  const latency = comparedRow({
    group: 'reads',
    name: `${endpoint.name} p97.5`,
    unit: 'ms',
    runway: figure(
      'Runway API',
      runway.map((round) => round.p975),
    ),
    ...baseline((round) => round.p975),
  });
  if (endpoint.compared) {
    latency.target = `< ${P975_TARGET_MS}`;
    latency.met = latency.runway.value < P975_TARGET_MS;
  }
  const p50 = comparedRow({
    group: 'reads',
    name: `${endpoint.name} p50`,
    unit: 'ms',
    runway: figure(
      'Runway API',
      runway.map((round) => round.p50),
    ),
    ...baseline((round) => round.p50),
  });
  return [throughput, latency, p50];
}

export async function measureReads(options: ReadOptions): Promise<BenchRow[]> {
  const started = startedThings();
  return stoppedOnInterrupt(started.stopAll, async () => {
    const stack = await startReleaseStack();
    started.add(() => stack.stop());
    const releaseId = await releaseToProduction(stack, '2.0.0');
    await copyRelease(stack.databaseUrl, releaseId, LISTED - 1);
    const token = stack.tokens[READER] as string;
    const bare = await startBareApp(stack.databaseUrl, token);
    started.add(() => bare.stop());
    const audit = new pg.Pool({ connectionString: stack.databaseUrl, max: 1 });
    started.add(() => audit.end());
    const rows: BenchRow[] = [];
    for (const endpoint of endpoints(releaseId))
      rows.push(...(await measureEndpoint(endpoint, stack.apiUrl, bare.url, token, audit, options)));
    return rows;
  });
}

async function measureEndpoint(
  endpoint: Endpoint,
  apiUrl: string,
  bareUrl: string,
  token: string,
  audit: pg.Pool,
  options: ReadOptions,
): Promise<BenchRow[]> {
  const countAudit = async () =>
    Number(
      (await audit.query('SELECT count(*) FROM audit_events WHERE action = $1', [endpoint.action])).rows[0]
        .count,
    );
  const warmUp = { ...options, seconds: 2 };
  await load(`${apiUrl}${endpoint.path}`, token, warmUp, countAudit);
  if (endpoint.barePath) await load(`${bareUrl}${endpoint.barePath}`, token, warmUp, countAudit);
  const runway: Round[] = [];
  const bare: Round[] = [];
  for (let round = 1; round <= options.rounds; round++) {
    const ours = await load(`${apiUrl}${endpoint.path}`, token, options, countAudit);
    runway.push(ours);
    const theirs =
      endpoint.barePath && (await load(`${bareUrl}${endpoint.barePath}`, token, options, countAudit));
    if (theirs) bare.push(theirs);
    console.error(
      `reads: ${endpoint.name} round ${round}/${options.rounds}: Runway ${Math.round(ours.requestsPerSecond)} req/s p97.5 ${ours.p975} ms` +
        (theirs ? `, bare ${Math.round(theirs.requestsPerSecond)} req/s` : ''),
    );
  }
  return rowsFor(endpoint, runway, bare);
}
