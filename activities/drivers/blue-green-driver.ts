// The blue-green contract a target's driver fulfils (R-RB-BLUEGREEN). A generic command driver maps
// each action to a user's own command (kubectl, ansible, ssh scripts, or the demo's edm-ctl):
//   inspect → prints JSON {"activeColour": "blue"|"green"|null, "colours": {"blue": {"version": …} | null, …}}
//   deploy  → puts {version} on {colour} (idempotent), exit 0 when it runs
//   check   → checks {colour} itself serves {version} healthily, before it takes traffic; non-zero if not
//   switch  → sends traffic to {colour} (idempotent)
import { z } from 'zod';
import type { Colour, CommandDriverSpec } from '../../workflows/release-model.js';
import { type CommandResult, runCommand, tail } from './command-runner.js';

const colourState = z.object({ version: z.string() }).passthrough().nullable().optional();
export const targetStatusSchema = z.object({
  activeColour: z.enum(['blue', 'green']).nullable(),
  colours: z.object({ blue: colourState, green: colourState }),
});
export type TargetStatus = z.infer<typeof targetStatusSchema>;

export interface BlueGreenDriver {
  inspect(): Promise<TargetStatus>;
  deploy(colour: Colour, version: string): Promise<CommandResult>;
  check(colour: Colour, version: string): Promise<CommandResult>;
  switchTo(colour: Colour): Promise<CommandResult>;
}

export class DriverActionError extends Error {
  constructor(
    readonly action: string,
    readonly result: CommandResult,
  ) {
    const why = result.timedOut ? 'timed out' : `exited with ${result.exitCode}`;
    super(`${action} ${why}: ${tail(result.stderr || result.stdout, 5)}`);
  }
}

/** The target answered in a shape the blue-green contract does not allow. */
export class DriverContractError extends Error {}

export function createCommandDriver(
  spec: CommandDriverSpec,
  values: Readonly<Record<string, string>>,
  options: { cwd: string; signal?: AbortSignal },
): BlueGreenDriver {
  const act = async (action: keyof CommandDriverSpec['actions'], extra: Record<string, string> = {}) => {
    const result = await runCommand(spec.actions[action], { ...values, ...extra }, options);
    if (result.exitCode !== 0) throw new DriverActionError(action, result);
    return result;
  };
  return {
    async inspect() {
      const result = await act('inspect');
      const lastLine = result.stdout.trim().split('\n').at(-1) ?? '';
      let parsed: unknown;
      try {
        parsed = JSON.parse(lastLine);
      } catch {
        throw new DriverContractError(`inspect did not print JSON: ${tail(result.stdout, 3)}`);
      }
      const status = targetStatusSchema.safeParse(parsed);
      if (!status.success)
        throw new DriverContractError(`inspect printed an unexpected shape: ${status.error.message}`);
      return status.data;
    },
    deploy: (colour, version) => act('deploy', { colour, version }),
    check: (colour, version) => act('check', { colour, version }),
    switchTo: (colour) => act('switch', { colour }),
  };
}
