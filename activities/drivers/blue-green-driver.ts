// The blue-green contract a target's driver fulfils (R-RB-BLUEGREEN). A generic command driver maps
// each action to a user's own command (kubectl, ansible, ssh scripts, or the demo's edm-ctl):
//   inspect → prints JSON {"activeColour": "blue"|"green"|null, "colours": {"blue": {"version": …} | null, …}}
//   deploy  → puts {version} on {colour} (idempotent), exit 0 when it runs
//   check   → checks {colour} itself serves {version} healthily, before it takes traffic; non-zero if not
//   switch  → sends traffic to {colour} (idempotent)
//   retire  → takes {colour} out of service: stops its instance and, if it was active, leaves nothing
//             serving (the environment is back to "nothing deployed"); idempotent, so retiring a
//             colour that is not deployed succeeds. It undoes a first-ever deploy.
// deploy, switch and retire are compare-and-swap: {expectedActive} is the colour the release saw
// active when it inspected (blue, green, or none when nothing was), and the target refuses with exit
// code 3 when that is no longer so, so a switch someone made by hand is never silently overwritten.
// Exit codes: 0 done, 1 the operation or check failed, 2 bad usage, 3 the target was not as expected.
import { z } from 'zod';
import type { Colour, CommandDriverSpec } from '../../workflows/release-model.js';
import { type CommandResult, runCommand } from './command-runner.js';
import { parseLastJsonLine } from './driver-output.js';
import { ERROR_OUTPUT_BYTES, tailBytes } from './output-tail.js';

const colourState = z.object({ version: z.string() }).passthrough().nullable().optional();
export const targetStatusSchema = z.object({
  activeColour: z.enum(['blue', 'green']).nullable(),
  colours: z.object({ blue: colourState, green: colourState }),
});
export type TargetStatus = z.infer<typeof targetStatusSchema>;

export interface BlueGreenDriver {
  inspect(): Promise<TargetStatus>;
  /** `key` fills {idempotencyKey}: the same on every attempt of one call, so a target can dedupe. */
  deploy(
    colour: Colour,
    version: string,
    expectedActive: Colour | null,
    key?: string,
  ): Promise<CommandResult>;
  check(colour: Colour, version: string): Promise<CommandResult>;
  switchTo(colour: Colour, expectedActive: Colour | null, key?: string): Promise<CommandResult>;
  retire(colour: Colour, expectedActive: Colour | null, key?: string): Promise<CommandResult>;
}

/**
 * How a target refuses a compare-and-swap (a blue-green deploy, switch or retire; a rolling update)
 * because it is not as the release saw it.
 */
export const TARGET_CHANGED_EXIT_CODE = 3;
/** Only these actions carry {expectedActive}; for inspect and check, 3 is just another failure. */
const COMPARE_AND_SWAP_ACTIONS: ReadonlySet<string> = new Set(['deploy', 'switch', 'retire']);

export class DriverActionError extends Error {
  constructor(
    readonly action: string,
    readonly result: CommandResult,
  ) {
    const why = result.timedOut ? 'timed out' : `exited with ${result.exitCode}`;
    super(`${action} ${why}: ${tailBytes(result.stderr || result.stdout, ERROR_OUTPUT_BYTES)}`);
  }
}

/**
 * The target refused because its active colour is not the one the release saw: someone changed it
 * (e.g. switched traffic by hand) while the release ran. Acting anyway would overwrite their change.
 */
export class TargetChangedError extends Error {
  constructor(
    readonly action: string,
    readonly result: CommandResult,
  ) {
    super(
      `${action} refused: the target was not as the release expected (e.g. traffic switched by hand): ${tailBytes(result.stderr || result.stdout, ERROR_OUTPUT_BYTES)}`,
    );
  }
}

/** Nothing active travels as `none`: a placeholder value must be a plain command-line token. */
const expectedActiveValue = (expectedActive: Colour | null): string => expectedActive ?? 'none';

const keyValue = (key: string | undefined): Record<string, string> => (key ? { idempotencyKey: key } : {});

export function createCommandDriver(
  spec: CommandDriverSpec,
  values: Readonly<Record<string, string>>,
  options: { cwd: string; signal?: AbortSignal },
): BlueGreenDriver {
  const act = async (action: keyof CommandDriverSpec['actions'], extra: Record<string, string> = {}) => {
    const result = await runCommand(spec.actions[action], { ...values, ...extra }, options);
    if (result.exitCode === TARGET_CHANGED_EXIT_CODE && COMPARE_AND_SWAP_ACTIONS.has(action))
      throw new TargetChangedError(action, result);
    if (result.exitCode !== 0) throw new DriverActionError(action, result);
    return result;
  };
  return {
    async inspect() {
      return parseLastJsonLine('inspect', await act('inspect'), targetStatusSchema);
    },
    deploy: (colour, version, expectedActive, key) =>
      act('deploy', {
        colour,
        version,
        expectedActive: expectedActiveValue(expectedActive),
        ...keyValue(key),
      }),
    check: (colour, version) => act('check', { colour, version }),
    switchTo: (colour, expectedActive, key) =>
      act('switch', { colour, expectedActive: expectedActiveValue(expectedActive), ...keyValue(key) }),
    retire: (colour, expectedActive, key) =>
      act('retire', { colour, expectedActive: expectedActiveValue(expectedActive), ...keyValue(key) }),
  };
}
