// What a driver's command prints is the target's answer: a driver contract puts it as JSON on the
// last line of stdout, so a command may log progress above it.
import type { z } from 'zod';
import type { CommandResult } from './command-runner.js';
import { ERROR_OUTPUT_BYTES, tailBytes } from './output-tail.js';

/** The target answered in a shape its driver contract does not allow. */
export class DriverContractError extends Error {}

/** The JSON `action` printed on its last line of stdout, checked against the contract's `schema`. */
export function parseLastJsonLine<Schema extends z.ZodType>(
  action: string,
  result: CommandResult,
  schema: Schema,
): z.output<Schema> {
  const lastLine = result.stdout.trim().split('\n').at(-1) ?? '';
  let parsed: unknown;
  try {
    parsed = JSON.parse(lastLine);
  } catch {
    throw new DriverContractError(
      `${action} did not print JSON: ${tailBytes(result.stdout, ERROR_OUTPUT_BYTES)}`,
    );
  }
  const checked = schema.safeParse(parsed);
  if (!checked.success) {
    throw new DriverContractError(`${action} printed an unexpected shape: ${checked.error.message}`);
  }
  return checked.data;
}
