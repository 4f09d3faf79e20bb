// Runs a configured command as an argument array (never through a shell, R-INPUT) with the
// release's values filled into its placeholders.
import { execa } from 'execa';
import type { CommandSpec } from '../../workflows/release-model.js';

export interface CommandResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  durationMs: number;
  timedOut: boolean;
}

export interface RunOptions {
  cwd: string;
  signal?: AbortSignal;
}

/** Values may not start with '-' (they would read as options) and hold no whitespace or shell syntax. */
const SAFE_VALUE = /^[A-Za-z0-9][A-Za-z0-9._+:/@=-]*$/;
const PLACEHOLDER = /\{([a-zA-Z]+)\}/g;

/** Only these variables of the worker's environment reach a command, so its secrets stay put (R-SECRETS). */
const INHERITED_ENV = ['PATH', 'HOME', 'LANG', 'TZ', 'TMPDIR', 'SYSTEMROOT'];

export function fillPlaceholders(
  argv: readonly string[],
  values: Readonly<Record<string, string>>,
): string[] {
  return argv.map((arg) =>
    arg.replace(PLACEHOLDER, (whole, name: string) => {
      const value = values[name];
      if (value === undefined) return whole;
      if (!SAFE_VALUE.test(value)) {
        throw new Error(`value for {${name}} is not allowed on a command line: ${JSON.stringify(value)}`);
      }
      return value;
    }),
  );
}

export function unfilledPlaceholders(argv: readonly string[]): string[] {
  return argv.flatMap((arg) => [...arg.matchAll(PLACEHOLDER)].map((match) => match[0]));
}

function commandEnvironment(envFrom: Readonly<Record<string, string>>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of INHERITED_ENV) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  for (const [name, source] of Object.entries(envFrom)) {
    const value = process.env[source];
    if (value === undefined)
      throw new Error(`environment variable ${source} (for ${name}) is not set on the worker`);
    env[name] = value;
  }
  return env;
}

export async function runCommand(
  spec: CommandSpec,
  values: Readonly<Record<string, string>>,
  options: RunOptions,
): Promise<CommandResult> {
  const argv = fillPlaceholders(spec.argv, values);
  const missing = unfilledPlaceholders(argv);
  if (missing.length > 0) throw new Error(`command has unfilled placeholders: ${missing.join(', ')}`);
  const [file, ...args] = argv;
  if (file === undefined) throw new Error('command is empty');
  const started = performance.now();
  const result = await execa(file, args, {
    cwd: options.cwd,
    env: commandEnvironment(spec.envFrom),
    extendEnv: false,
    timeout: spec.timeoutMs,
    cancelSignal: options.signal,
    reject: false,
    stripFinalNewline: true,
  });
  return {
    exitCode: result.exitCode ?? -1,
    stdout: result.stdout,
    stderr: result.stderr,
    durationMs: Math.round(performance.now() - started),
    timedOut: result.timedOut,
  };
}

/** The last lines of a command's output, for errors and records without flooding them. */
export function tail(text: string, lines = 20): string {
  return text.split('\n').slice(-lines).join('\n');
}
