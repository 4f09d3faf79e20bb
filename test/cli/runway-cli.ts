// Runs the real `runway` bin (package.json "bin") as a child process, as a script would: no
// terminal, its settings from the environment only (never the machine's own profile).
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';

const ROOT = join(import.meta.dirname, '../..');
const { bin } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { bin: { runway: string } };
export const RUNWAY_BIN = join(ROOT, bin.runway);

export interface CliRun {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  env?: Record<string, string | undefined>;
  /** Piped to stdin; without it stdin is /dev/null (never a terminal either way). */
  input?: string;
}

/** A folder standing in for HOME: the command finds no profile there unless a test writes one. */
export async function cliHome() {
  const home = await mkdtemp(join(tmpdir(), 'runway-cli-home-'));
  return { home, remove: () => rm(home, { recursive: true, force: true }) };
}

export function spawnRunway(args: string[], home: string, options: CliOptions = {}): ResultPromise {
  return execa(process.execPath, [RUNWAY_BIN, ...args], {
    cwd: ROOT,
    extendEnv: false,
    env: { PATH: process.env.PATH, HOME: home, XDG_CONFIG_HOME: join(home, '.config'), ...options.env },
    reject: false,
    timeout: 150_000,
    ...(options.input === undefined ? { stdin: 'ignore' } : { input: options.input }),
  });
}

export async function runRunway(args: string[], home: string, options: CliOptions = {}): Promise<CliRun> {
  const result = await spawnRunway(args, home, options);
  return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) };
}

/** Each identity's token in a file of its own (mode 600), as RUNWAY_TOKEN_FILE names it. */
export async function writeTokenFiles(
  home: string,
  tokens: Record<string, string>,
): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const [identity, token] of Object.entries(tokens)) {
    files[identity] = join(home, `${identity}.token`);
    await writeFile(files[identity], `${token}\n`, { mode: 0o600 });
  }
  return files;
}
