// Runs a configured command as an argument array (never through a shell, R-INPUT) with the
// release's values filled into its placeholders.
import { ApplicationFailure } from '@temporalio/common';
import { execa } from 'execa';
import { fillPlaceholders, unfilledPlaceholders } from '../../config/command-template.js';
import { isRunwayVariable } from '../../config/runway-variables.js';
import type { CommandSpec } from '../../workflows/release-model.js';
import { OutputTail } from './output-tail.js';

export interface CommandResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  durationMs: number;
  timedOut: boolean;
  /** Stopped because the activity was cancelled (e.g. the worker is shutting down). */
  cancelled: boolean;
}

export interface RunOptions {
  cwd: string;
  signal?: AbortSignal;
}

/** Only these variables of the worker's environment reach a command, so its secrets stay put (R-SECRETS). */
const INHERITED_ENV = ['PATH', 'HOME', 'LANG', 'TZ', 'TMPDIR', 'SYSTEMROOT'];

function commandEnvironment(envFrom: Readonly<Record<string, string>>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of INHERITED_ENV) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  for (const [name, source] of Object.entries(envFrom)) {
    // Refused before anything is spawned, whatever the plan says (R-SECRETS).
    if (isRunwayVariable(source) || isRunwayVariable(name)) {
      const variable = isRunwayVariable(source) ? source : name;
      throw ApplicationFailure.nonRetryable(
        `a command may not be given ${variable}: it is one of Runway's own variables`,
        'CommandRefused',
      );
    }
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
  const env = commandEnvironment(spec.envFrom);
  const started = performance.now();
  // Not buffered by execa: only the last bytes are kept, however much the command prints.
  const subprocess = execa(file, args, {
    cwd: options.cwd,
    env,
    extendEnv: false,
    timeout: spec.timeoutMs,
    cancelSignal: options.signal,
    reject: false,
    buffer: false,
    stdin: 'ignore',
  });
  const stdout = new OutputTail();
  const stderr = new OutputTail();
  const [result] = await Promise.all([
    subprocess,
    stdout.follow(subprocess.stdout),
    stderr.follow(subprocess.stderr),
  ]);
  // Values handed over through envFrom are secrets: they never leave in output (R-SECRETS).
  const redact = redactor(Object.keys(spec.envFrom).map((name) => env[name] ?? ''));
  const clean = (tail: OutputTail) => printable(redact(tail.text().replace(/\r?\n$/, '')));
  return {
    exitCode: result.exitCode ?? -1,
    stdout: clean(stdout),
    stderr: clean(stderr),
    durationMs: Math.round(performance.now() - started),
    timedOut: result.timedOut,
    cancelled: result.isCanceled,
  };
}

/** Command output goes into records, whose text cannot hold NUL: a binary byte must not fail a step. */
function printable(text: string): string {
  return text.replaceAll('\u0000', '\uFFFD');
}

const MIN_SECRET_LENGTH = 4;

function redactor(secrets: string[]): (text: string) => string {
  const present = secrets.filter((secret) => secret.length >= MIN_SECRET_LENGTH);
  return (text) =>
    present.reduce(
      (redacted, secret) => withoutCutSecret(redacted.split(secret).join('[redacted]'), secret),
      text,
    );
}

/** Output is kept from its last bytes, so it may begin in the middle of a secret: drop that end too. */
function withoutCutSecret(text: string, secret: string): string {
  for (let length = secret.length - 1; length >= MIN_SECRET_LENGTH; length--) {
    if (text.startsWith(secret.slice(-length))) return `[redacted]${text.slice(length)}`;
  }
  return text;
}
