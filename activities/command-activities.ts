// Steps that run a configured command, e.g. an integration-test suite (R-CHECKLIST automated items).
import { ApplicationFailure } from '@temporalio/activity';
import type { CommandSpec } from '../workflows/release-model.js';
import type { ActivityDeps } from './activity-deps.js';
import { runCommand } from './drivers/command-runner.js';
import { ERROR_OUTPUT_BYTES, STEP_OUTPUT_BYTES, tailBytes } from './drivers/output-tail.js';
import { throwIfCancelled, withHeartbeat } from './heartbeat.js';

export interface CommandStepInput {
  releaseId: string;
  stepId: string;
  command: CommandSpec;
}

export interface CommandStepResult {
  exitCode: number;
  durationMs: number;
  output: string;
}

export function createCommandActivities(deps: ActivityDeps) {
  return {
    async runStepCommand(input: CommandStepInput): Promise<CommandStepResult> {
      const log = deps.logger.child({ releaseId: input.releaseId, step: input.stepId });
      const started = Date.now();
      log.info({ argv: input.command.argv }, 'running command');
      const result = await withHeartbeat(
        () => ({ runningForMs: Date.now() - started }),
        (signal) => runCommand(input.command, {}, { cwd: deps.workingDirectory, signal }),
      );
      const output = tailBytes(result.stdout || result.stderr, STEP_OUTPUT_BYTES);
      // Cut short: a cancelled release ends cancelled; a stopping worker's command runs again
      // on the next worker rather than being judged.
      throwIfCancelled();
      if (result.cancelled) throw new Error(`${input.command.argv[0]} was stopped before it finished`);
      if (result.exitCode !== 0) {
        log.warn({ exitCode: result.exitCode, timedOut: result.timedOut }, 'command failed');
        const why = result.timedOut
          ? `timed out after ${input.command.timeoutMs} ms`
          : `exited with ${result.exitCode}`;
        throw ApplicationFailure.retryable(
          `${input.command.argv[0]} ${why}: ${tailBytes(result.stderr || result.stdout, ERROR_OUTPUT_BYTES)}`,
          'CommandFailed',
          {
            exitCode: result.exitCode,
            output,
          },
        );
      }
      log.info({ durationMs: result.durationMs }, 'command passed');
      return { exitCode: result.exitCode, durationMs: result.durationMs, output };
    },
  };
}
