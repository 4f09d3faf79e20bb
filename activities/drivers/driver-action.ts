// One action of a command driver (rolling instances, configuration bundles): the command run with
// the target's values, its exit code read as the driver contract says — 0 done, 3 the target changed
// under a compare-and-swap action, anything else failed.
import type { CommandSpec } from '../../workflows/release-model.js';
import { DriverActionError, TARGET_CHANGED_EXIT_CODE, TargetChangedError } from './blue-green-driver.js';
import { type CommandResult, runCommand } from './command-runner.js';

export interface DriverTarget<A extends string> {
  service: string;
  environment: string;
  driver: { actions: Record<A, CommandSpec> };
}

export async function runDriverAction<A extends string>(
  target: DriverTarget<A>,
  action: A,
  values: Record<string, string>,
  options: { cwd: string; signal: AbortSignal; compareAndSwap: A },
): Promise<CommandResult> {
  const result = await runCommand(
    target.driver.actions[action],
    { service: target.service, environment: target.environment, ...values },
    { cwd: options.cwd, signal: options.signal },
  );
  if (result.exitCode === TARGET_CHANGED_EXIT_CODE && action === options.compareAndSwap)
    throw new TargetChangedError(action, result);
  if (result.exitCode !== 0) throw new DriverActionError(action, result);
  return result;
}

/**
 * A service's driver as one kind of its actions sees it: `act(target, action, values, signal)`,
 * run in `cwd`, where `compareAndSwap` is the action the target may refuse as changed since.
 */
export function driverActions<A extends string>(cwd: string, compareAndSwap: A) {
  return (target: DriverTarget<A>, action: A, values: Record<string, string>, signal: AbortSignal) =>
    runDriverAction(target, action, values, { cwd, signal, compareAndSwap });
}
