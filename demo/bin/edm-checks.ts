/**
 * edm-checks: the pre-deployment checklist checks a release runs against an environment of the demo
 * target before anything is deployed (R-CHECKLIST), as it would run a readiness script against a
 * real platform. The service's database comes from DATABASE_URL (never the command line). One JSON
 * line on stdout when the check holds (exit 0); one line on stderr saying why when it does not
 * (exit 1); exit 2 on bad usage.
 *
 *   dependencies --agent URL --env E     what the service depends on answers: its database, and
 *                                        the platform (the agent) that runs it there
 *   rollback-ready --agent URL --env E   the rollback plan can be carried out: the version serving
 *                                        now (what a rollback returns to) runs and is healthy, and
 *                                        every migration applied to the database can be migrated back
 */
import { parseArgs } from 'node:util';
import pg from 'pg';
import { environmentStatus } from '../edm-ctl/agent-client.js';
import { migrationStatus, scriptProblem } from '../edm-web/schema-migrations.js';
import type { EnvironmentStatus } from '../target/model.js';

const USAGE =
  'usage: edm-checks dependencies|rollback-ready --agent URL --env ENVIRONMENT   (database: $DATABASE_URL)';
const HEALTH_TIMEOUT_MS = 5_000;

class UsageError extends Error {}
class CheckFailed extends Error {}

async function databaseAnswers(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    const { rows } = await client.query<{ database: string }>('SELECT current_database() AS database');
    return rows[0]?.database ?? '?';
  } catch (error) {
    throw new CheckFailed(
      `the database does not answer: ${error instanceof Error ? error.message : String(error)}`,
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function platformStatus(agent: string, env: string): Promise<EnvironmentStatus> {
  try {
    return (await environmentStatus(agent, env)) as EnvironmentStatus;
  } catch (error) {
    throw new CheckFailed(
      `the demo target does not answer for ${env}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

async function dependencies(agent: string, env: string, databaseUrl: string | undefined) {
  const status = await platformStatus(agent, env);
  const database = databaseUrl ? await databaseAnswers(databaseUrl) : null;
  return { environment: env, platform: 'answers', activeColour: status.activeColour, database };
}

/** The version a rollback returns traffic to must still run and answer healthy on its own port. */
async function servingVersionHealthy(status: EnvironmentStatus) {
  const colour = status.activeColour;
  if (colour === null)
    return { returnsTo: null, plan: 'nothing serves yet: a rollback retires the new colour' };
  const serving = status.colours[colour];
  if (!serving?.running) {
    throw new CheckFailed(
      `${status.environment}/${colour} (${serving?.version ?? 'nothing'}) is not running: a rollback would have nothing to return to`,
    );
  }
  const response = await fetch(`http://127.0.0.1:${serving.port}/health`, {
    signal: AbortSignal.timeout(HEALTH_TIMEOUT_MS),
  }).catch((error: Error) => {
    throw new CheckFailed(`${status.environment}/${colour} does not answer: ${error.message}`);
  });
  if (response.status !== 200) {
    throw new CheckFailed(
      `${status.environment}/${colour} (${serving.version}) answers /health with ${response.status}: a rollback would return to an unhealthy version`,
    );
  }
  return {
    returnsTo: { colour, version: serving.version },
    plan: `switch traffic back to ${colour} (${serving.version})`,
  };
}

async function rollbackReady(agent: string, env: string, databaseUrl: string | undefined) {
  const traffic = await servingVersionHealthy(await platformStatus(agent, env));
  if (!databaseUrl) return { environment: env, ...traffic, database: null };
  const { applied } = await migrationStatus(databaseUrl).catch((error: Error) => {
    throw new CheckFailed(`the database does not answer: ${error.message}`);
  });
  const problems = applied.map(scriptProblem).filter((problem): problem is string => problem !== null);
  if (problems.length > 0) {
    throw new CheckFailed(`the database could not be migrated back: ${problems.join('; ')}`);
  }
  return { environment: env, ...traffic, database: { applied, eachMigratesBack: true } };
}

async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  try {
    const { values } = parseArgs({
      args,
      options: { agent: { type: 'string' }, env: { type: 'string' } },
      strict: true,
    });
    if (!values.agent || !values.env)
      throw new UsageError(`${command ?? ''} needs --agent and --env\n${USAGE}`);
    const databaseUrl = process.env.DATABASE_URL || undefined;
    let output: unknown;
    if (command === 'dependencies') output = await dependencies(values.agent, values.env, databaseUrl);
    else if (command === 'rollback-ready')
      output = await rollbackReady(values.agent, values.env, databaseUrl);
    else throw new UsageError(`unknown command ${JSON.stringify(command ?? '')}\n${USAGE}`);
    process.stdout.write(`${JSON.stringify(output)}\n`);
    return 0;
  } catch (error) {
    process.stderr.write(
      `edm-checks ${command ?? ''}: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    if (error instanceof CheckFailed) return 1;
    return error instanceof UsageError ||
      (error as { code?: unknown }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION'
      ? 2
      : 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
