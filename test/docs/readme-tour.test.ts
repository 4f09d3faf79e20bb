// The README's five-minute tour, run as written against a real stack: every shell block of the
// tour, in order, in one shell, each line held to the exit code it states (`# exits N`, else 0).
// The stack is the one `npm start` runs — the demo services, the demo identities' tokens in a
// demo.env file, the demo release waiting for approval — on free ports; only the address and the
// state folder the README names are replaced by this stack's.
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemoRelease } from '../../stack/demo-release.js';
import { projectRoot } from '../../stack/temporal-binaries.js';
import { isActiveStatus, type ReleaseStatus } from '../../workflows/release-model.js';
import { releaseWorkflowBundle } from '../support/release-workflow-bundle.js';
import { startTestStack, type TestStack } from '../support/runway-stack.js';

const README_API_URL = 'http://localhost:3001';
const README_STATE_FILE = '.runway/demo.env';

interface TourLine {
  command: string;
  expectedExit: number;
}

/** The shell lines of the tour section's ```sh blocks, in order. */
function tourLines(readme: string): TourLine[] {
  const start = readme.indexOf('## A five-minute tour');
  if (start < 0) throw new Error('README.md has no "## A five-minute tour" section');
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end < 0 ? undefined : end);
  const blocks = [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((match) => match[1] ?? '');
  return blocks
    .flatMap((block) => block.split('\n'))
    .filter((line) => line.trim() !== '' && !line.trim().startsWith('#'))
    .map((line) => {
      const expected = /#\s*exits (\d+)/.exec(line);
      return { command: line, expectedExit: expected ? Number(expected[1]) : 0 };
    });
}

/** One shell script that runs each line and stops at the first whose exit code is not the stated one. */
function tourScript(lines: TourLine[], apiUrl: string, stateFile: string): string {
  return lines
    .map(({ command, expectedExit }, index) => {
      const line = command.replaceAll(README_API_URL, apiUrl).replaceAll(README_STATE_FILE, stateFile);
      return [
        `echo ${JSON.stringify(`$ ${command}`)}`,
        line,
        `code=$?; if [ "$code" -ne ${expectedExit} ]; then echo "tour line ${index + 1} exited $code, not ${expectedExit}" >&2; exit 90; fi`,
      ].join('\n');
    })
    .join('\n');
}

/** The whole tour may take this long; then it is stopped, and whatever it left running with it. */
const TOUR_DEADLINE_MS = 240_000;

/** Ends every process of the group (a `runway watch` the tour left behind included); none is fine. */
function killGroup(leader: number | undefined): void {
  if (leader === undefined) return;
  try {
    process.kill(-leader, 'SIGKILL');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/**
 * Runs the script in bash, in a process group of its own, so that the group can be killed whole:
 * at the deadline, and in any case once bash has ended, so no process of the tour outlives the test.
 */
async function runShell(
  script: string,
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; output: string }> {
  const child = spawn('bash', ['-c', script], {
    cwd: projectRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  const collect = (chunk: Buffer) => {
    output += chunk.toString('utf8');
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  let timedOut = false;
  const deadline = setTimeout(() => {
    timedOut = true;
    killGroup(child.pid);
  }, TOUR_DEADLINE_MS);
  // Its pipes close once every process holding them has ended: all the output is read by then.
  const closed = new Promise((resolve) => child.once('close', resolve));
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (exitCode) => resolve(exitCode));
    });
    killGroup(child.pid);
    await closed;
    return { code, output: timedOut ? `${output}\n(stopped after ${TOUR_DEADLINE_MS / 1000} s)` : output };
  } finally {
    clearTimeout(deadline);
    killGroup(child.pid);
  }
}

let stack: TestStack;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'runway-tour-'));
  stack = await startTestStack(await releaseWorkflowBundle(), { withSender: true });
});

afterAll(async () => {
  await stack?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("the README's five-minute tour", () => {
  it('runs as written: every line exits as it says, and the releases end where the tour says', async () => {
    const lines = tourLines(await readFile(join(projectRoot, 'README.md'), 'utf8'));
    expect(lines.length).toBeGreaterThan(10);
    // What npm start leaves for the tour: the tokens file and the demo release waiting for approval.
    const stateFile = join(dir, 'state', 'demo.env');
    await mkdir(join(dir, 'state'));
    const tokenLines = stack.config.settings.identities.flatMap((identity) => {
      const token = stack.tokens[identity.name];
      return identity.tokenEnv && token ? [`export ${identity.tokenEnv}=${token}`] : [];
    });
    await writeFile(stateFile, `${tokenLines.join('\n')}\n`, { mode: 0o600 });
    await startDemoRelease(stack.runway.service, stack.config, stack.demo.controlUrl, stateFile);

    // Nothing of this machine's own Runway settings or profile leaks into the tour.
    const inherited = Object.fromEntries(
      Object.entries(process.env).filter(
        ([name]) => !name.startsWith('RUNWAY_') && name !== 'XDG_CONFIG_HOME',
      ),
    );
    const { code, output } = await runShell(tourScript(lines, stack.runway.apiUrl, stateFile), {
      ...inherited,
      HOME: join(dir, 'home'),
      NO_COLOR: '1',
    });
    expect(code, output).toBe(0);

    const reader = { Authorization: `Bearer ${stack.tokens['dev-chen']}` };
    const latestStatus = async (service: string) => {
      const response = await fetch(`${stack.runway.apiUrl}/api/v1/releases?service=${service}&limit=1`, {
        headers: reader,
      });
      return ((await response.json()) as { releases: { status: ReleaseStatus }[] }).releases[0]?.status;
    };
    // Both approved the demo release; the test stack's window is always open, so it goes on to
    // production by itself and ends there.
    await expect
      .poll(async () => isActiveStatus((await latestStatus('edm-web')) ?? 'running'), {
        timeout: 45_000,
        interval: 1000,
      })
      .toBe(false);
    expect(await latestStatus('edm-web')).toBe('succeeded');
    expect(await latestStatus('edm-sender')).toBe('rolled-back');
  }, 300_000);
});
