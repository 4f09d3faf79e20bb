// `npm run bench`, engine: what Runway's engine costs per step. A release of 50 no-op command steps
// (engine-runbook.ts), started through the API and run by Runway's worker, against a bare Temporal
// workflow of 50 activities that each spawn the same command and write one row to PostgreSQL
// (engine-bare-*.ts), alternately on one stack. Try it on its own:
//   node --import tsx scripts/bench/engine-overhead.ts --try [rounds] [--dist]
// (--dist: the worker from the compiled build, as `npm run bench` runs it; `npm run build:dist` first).
//
// Besides its 50 steps, Runway's release runs what every release runs: the start's check of the API's
// signature (a local activity), the claim of its record, a record write as each step starts and
// one at the end. The API reads the runbook from a folder of the benchmark's (RUNWAY_RUNBOOK_DIR).
import { randomBytes } from 'node:crypto';
import { Client, type WorkflowHandle } from '@temporalio/client';
import { tsToMs } from '@temporalio/common/lib/time.js';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { startRelease } from './bench-api.js';
import { type BenchRow, comparedRow, figure } from './bench-row.js';
import { BARE_TASK_QUEUE, withBareWorker } from './engine-bare-worker.js';
import type { bareStepsWorkflow } from './engine-bare-workflow.js';
import {
  addNoopCommand,
  ENGINE_SERVICE,
  ENGINE_STEPS,
  RUNBOOK_DIR_ENV,
  writeNoopRunbookDir,
} from './engine-runbook.js';
import { type BenchStack, runDirectly, withBenchStack } from './starts-stack.js';

const TARGET_RATIO = 1.5;
/** One release of each kind before the measured ones: connections, caches and the JIT warm up. */
const WARM_UP_ROUNDS = 1;
const REQUESTER = 'ops-wang';

interface EngineRun {
  /** From the start's first byte to WorkflowExecutionCompleted (the server's timestamp). */
  wallMs: number;
  historyEvents: number;
}

/** Its history's length, and when it completed; throws unless it completed. */
async function finishedRun(handle: WorkflowHandle, startedAt: number): Promise<EngineRun> {
  const events = (await handle.fetchHistory()).events ?? [];
  const last = events.at(-1);
  const completed = 'workflowExecutionCompletedEventAttributes';
  if (!last?.[completed]) throw new Error(`${handle.workflowId} did not complete`);
  return { wallMs: tsToMs(last.eventTime) - startedAt, historyEvents: events.length };
}

async function runRunwayRelease(bench: BenchStack, version: string): Promise<EngineRun> {
  const startedAt = Date.now();
  const id = await startRelease(bench.stack, REQUESTER, {
    type: 'regular',
    service: ENGINE_SERVICE,
    version,
  });
  const handle = bench.client.workflow.getHandle(id);
  const outcome = (await handle.result()) as { status?: string };
  if (outcome.status !== 'succeeded') throw new Error(`release ${id} ended ${JSON.stringify(outcome)}`);
  return finishedRun(handle, startedAt);
}

async function runBareWorkflow(client: Client): Promise<EngineRun> {
  const startedAt = Date.now();
  const runId = `bench-engine-bare-${randomBytes(4).toString('hex')}`;
  const handle = await client.workflow.start<typeof bareStepsWorkflow>('bareStepsWorkflow', {
    taskQueue: BARE_TASK_QUEUE,
    workflowId: runId,
    args: [runId, ENGINE_STEPS],
  });
  await handle.result();
  return finishedRun(handle, startedAt);
}

function engineRows(runway: EngineRun[], bare: EngineRun[]): BenchRow[] {
  const subjects = {
    runway: `Runway release, ${ENGINE_STEPS} command steps`,
    bare: 'bare Temporal workflow',
  };
  const of = (runs: EngineRun[], value: (run: EngineRun) => number) => runs.map(value);
  const compared = (name: string, unit: string, value: (run: EngineRun) => number, note: string) =>
    comparedRow({
      group: 'engine',
      name,
      unit,
      runway: figure(subjects.runway, of(runway, value)),
      baseline: figure(subjects.bare, of(bare, value)),
      note,
    });
  const total = compared(
    `${ENGINE_STEPS} no-op command steps, start → finished`,
    'ms',
    (run) => run.wallMs,
    `${runway.length} runs each, alternating; each step spawns \`true\`; Runway adds its start check, record claim and step records`,
  );
  return [
    {
      ...total,
      target: `ratio ≤ ${TARGET_RATIO}`,
      met: (total.ratio ?? Number.POSITIVE_INFINITY) <= TARGET_RATIO,
    },
    compared('per step', 'ms', (run) => run.wallMs / ENGINE_STEPS, 'the total over the step count'),
    compared(
      'history events per step',
      'events',
      (run) => run.historyEvents / ENGINE_STEPS,
      'the whole history (start, claim, records, end included) over the step count',
    ),
  ];
}

/** `sources`: run the worker from the TypeScript sources instead of dist/ (trying it out). */
export async function measureEngineOverhead(options: {
  rounds: number;
  sources?: boolean;
}): Promise<BenchRow[]> {
  const runbooks = await writeNoopRunbookDir();
  try {
    const stackOptions = {
      editConfig: addNoopCommand,
      env: { [RUNBOOK_DIR_ENV]: runbooks.dir },
      compiled: !options.sources,
    };
    return await withBenchStack(stackOptions, async (bench) => {
      // The baseline's client converts payloads plainly, as its worker does.
      const bareClient = new Client({
        connection: bench.client.connection,
        namespace: bench.client.options.namespace,
      });
      const workerOptions = {
        address: bench.stack.temporal.address,
        namespace: bareClient.options.namespace,
        pool: bench.pool,
      };
      return withBareWorker(workerOptions, async () => {
        const runs: Record<'runway' | 'bare', EngineRun[]> = { runway: [], bare: [] };
        for (let round = 0; round < WARM_UP_ROUNDS + options.rounds; round++) {
          // Who goes first alternates, so neither side always runs right after the other.
          const order = round % 2 === 0 ? (['runway', 'bare'] as const) : (['bare', 'runway'] as const);
          for (const side of order) {
            const run =
              side === 'runway'
                ? await runRunwayRelease(bench, `3.${round}.0`)
                : await runBareWorkflow(bareClient);
            if (round >= WARM_UP_ROUNDS) runs[side].push(run);
          }
        }
        return engineRows(runs.runway, runs.bare);
      });
    });
  } finally {
    await runbooks.remove();
  }
}

if (runDirectly(import.meta.url) && process.argv.includes('--try')) {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const rounds = Number(process.argv[process.argv.indexOf('--try') + 1] ?? 2) || 2;
  const rows = await measureEngineOverhead({ rounds, sources: !process.argv.includes('--dist') });
  console.log(JSON.stringify(rows, null, 2));
}
