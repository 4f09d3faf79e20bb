// Refreshes the screenshots of the docs from the stack `npm start` runs: Temporal Web showing a
// release, and `runway watch` of the same release in a terminal (tmux draws it; headless Chromium
// turns both into PNGs). Run it while `npm start` is up, optionally naming the release:
//   npm run screenshots [-- <release-id>]
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { chromium } from 'playwright-core';
import { applyEnvironmentOverrides } from '../config/environment-overrides.js';
import { loadConfig } from '../config/load-config.js';
import { projectRoot } from '../stack/temporal-binaries.js';
import { terminalPage } from './screenshots/ansi-to-html.js';

const CHROMIUM = process.env.RUNWAY_CHROMIUM_PATH ?? '/usr/bin/chromium';
const IMAGES = join(projectRoot, 'docs', 'images');
const STATE_DIR = process.env.RUNWAY_STATE_DIR ?? join(projectRoot, '.runway');
const TERMINAL = { columns: 104, rows: 30 };
/** How long `runway watch` runs before its screen is captured: a couple of its polls. */
const WATCH_SETTLE_MS = 6_000;

function demoToken(identityVariable: string): string {
  const file = join(STATE_DIR, 'demo.env');
  if (!existsSync(file)) throw new Error(`${file} is missing: start the stack with npm start first`);
  const line = readFileSync(file, 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith(`export ${identityVariable}=`));
  if (!line) throw new Error(`${file} holds no ${identityVariable}`);
  return line.slice(`export ${identityVariable}=`.length).trim();
}

async function newestRelease(apiUrl: string, token: string): Promise<string> {
  const response = await fetch(`${apiUrl}/api/v1/releases?limit=1`, {
    headers: { Authorization: `Bearer ${token}` },
  });
  if (!response.ok)
    throw new Error(`GET /api/v1/releases answered ${response.status}: is npm start running?`);
  const { releases } = (await response.json()) as { releases: { id: string }[] };
  const id = releases[0]?.id;
  if (!id) throw new Error('there is no release yet: npm start starts a demo release, wait for it');
  return id;
}

/** The terminal screen of `runway watch <id>`, with its colours, as tmux shows it. */
async function watchScreen(apiUrl: string, token: string, id: string): Promise<string> {
  const session = `runway-screenshot-${process.pid}`;
  // The token reaches the CLI in a file: tmux's arguments, like any, are visible to everyone in ps.
  const tokenFile = join(mkdtempSync(join(tmpdir(), 'runway-screenshot-')), 'token');
  writeFileSync(tokenFile, token, { mode: 0o600 });
  const command = `node ${join(projectRoot, 'cli', 'runway.mjs')} watch ${id}; sleep 60`;
  execFileSync('tmux', [
    'new-session',
    '-d',
    '-s',
    session,
    '-x',
    String(TERMINAL.columns),
    '-y',
    String(TERMINAL.rows),
    '-e',
    `RUNWAY_URL=${apiUrl}`,
    '-e',
    `RUNWAY_TOKEN_FILE=${tokenFile}`,
    '-e',
    'TERM=xterm-256color',
    command,
  ]);
  try {
    await delay(WATCH_SETTLE_MS);
    return execFileSync('tmux', ['capture-pane', '-p', '-e', '-t', session], { encoding: 'utf8' }).trimEnd();
  } finally {
    spawnSync('tmux', ['kill-session', '-t', session]);
    rmSync(dirname(tokenFile), { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const config = applyEnvironmentOverrides(await loadConfig(process.env.RUNWAY_CONFIG_DIR));
  const apiUrl = `http://localhost:${config.settings.api.port}`;
  const token = demoToken('RUNWAY_TOKEN_DEV_CHEN');
  const id = process.argv[2] ?? (await newestRelease(apiUrl, token));
  const screen = await watchScreen(apiUrl, token, id);
  const browser = await chromium.launch({ executablePath: CHROMIUM });
  try {
    const web = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const { namespace, webUrl } = config.settings.temporal;
    await web.goto(`${webUrl}/namespaces/${namespace}/workflows/${encodeURIComponent(id)}`, {
      timeout: 20_000,
    });
    await web.getByText(id).first().waitFor({ timeout: 20_000 });
    await web.waitForLoadState('networkidle', { timeout: 15_000 }).catch(() => {});
    await web.screenshot({ path: join(IMAGES, 'temporal-web-release.png') });
    const terminal = await browser.newPage({ viewport: { width: 1100, height: 700 }, deviceScaleFactor: 1 });
    await terminal.setContent(terminalPage(screen, `runway watch ${id}`));
    await terminal.locator('.window').screenshot({ path: join(IMAGES, 'runway-watch.png') });
  } finally {
    await browser.close();
  }
  console.log(`docs/images/temporal-web-release.png and docs/images/runway-watch.png show ${id}`);
}

main().catch((error: unknown) => {
  console.error(`screenshots: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
