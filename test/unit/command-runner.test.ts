import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCommand } from '../../activities/drivers/command-runner.js';
import { fillPlaceholders, unfilledPlaceholders } from '../../config/command-template.js';
import { storable } from '../../db/release-records.js';

describe('command placeholders', () => {
  it('fills known placeholders and leaves the others for later', () => {
    const argv = fillPlaceholders(['deploy', '--version', '{version}', '--colour', '{colour}'], {
      version: '1.2.0+slow',
    });
    expect(argv).toEqual(['deploy', '--version', '1.2.0+slow', '--colour', '{colour}']);
    expect(unfilledPlaceholders(argv)).toEqual(['{colour}']);
  });

  it('refuses values that would read as options or carry shell syntax', () => {
    expect(() => fillPlaceholders(['{v}'], { v: '--force' })).toThrow(/not allowed/);
    expect(() => fillPlaceholders(['{v}'], { v: '1.0.0; rm -rf /' })).toThrow(/not allowed/);
    expect(() => fillPlaceholders(['{v}'], { v: '$(id)' })).toThrow(/not allowed/);
  });
});

describe('runCommand', () => {
  it('runs an argument array without a shell and passes only named environment variables', async () => {
    process.env.EDM_TEST_SECRET_SOURCE = 'from-the-worker';
    process.env.RUNWAY_TEST_NOT_PASSED = 'hidden';
    const result = await runCommand(
      {
        argv: [
          process.execPath,
          '-e',
          'console.log(JSON.stringify([process.argv[1], process.env.DEPLOY_KEY === "from-the-worker", process.env.RUNWAY_TEST_NOT_PASSED ?? null]))',
          'one arg; echo two',
          '{arg}',
        ],
        timeoutMs: 10_000,
        envFrom: { DEPLOY_KEY: 'EDM_TEST_SECRET_SOURCE' },
      },
      { arg: '1.2.0' },
      { cwd: process.cwd() },
    );
    expect(result.exitCode).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual(['one arg; echo two', true, null]);
  });

  it('turns NUL bytes in output into a storable character, so output can always be recorded', async () => {
    const result = await runCommand(
      { argv: [process.execPath, '-e', 'process.stdout.write("a\\u0000b")'], timeoutMs: 10_000, envFrom: {} },
      {},
      { cwd: process.cwd() },
    );
    expect(result.stdout).toBe('a\uFFFDb');
    expect(storable({ reason: 'x\u0000', steps: [{ output: '\u0000' }] })).toEqual({
      reason: 'x\uFFFD',
      steps: [{ output: '\uFFFD' }],
    });
  });

  it('refuses, before spawning anything, to hand a command one of Runway’s own variables', async () => {
    const marker = join(tmpdir(), `runway-command-refused-${process.pid}`);
    process.env.RUNWAY_DECISION_KEYS ??= 'k1:not-a-real-key';
    const refused = runCommand(
      {
        argv: [
          process.execPath,
          '-e',
          `require("fs").writeFileSync(${JSON.stringify(marker)}, process.env.K)`,
        ],
        timeoutMs: 10_000,
        envFrom: { K: 'RUNWAY_DECISION_KEYS' },
      },
      {},
      { cwd: process.cwd() },
    );
    await expect(refused).rejects.toMatchObject({
      type: 'CommandRefused',
      nonRetryable: true,
      message: expect.stringMatching(/RUNWAY_DECISION_KEYS: it is one of Runway's own variables/),
    });
    expect(existsSync(marker)).toBe(false);
  });

  it('never lets a value passed through envFrom out in the output', async () => {
    process.env.EDM_TEST_DEPLOY_PASSWORD = 'hunter2-very-secret';
    const result = await runCommand(
      {
        argv: [
          process.execPath,
          '-e',
          'console.log("password is", process.env.PASSWORD); console.error(process.env.PASSWORD)',
        ],
        timeoutMs: 10_000,
        envFrom: { PASSWORD: 'EDM_TEST_DEPLOY_PASSWORD' },
      },
      {},
      { cwd: process.cwd() },
    );
    expect(result.stdout).toBe('password is [redacted]');
    expect(result.stderr).toBe('[redacted]');
  });

  it('reports a timeout and a missing environment variable clearly', async () => {
    const slow = await runCommand(
      { argv: [process.execPath, '-e', 'setTimeout(() => {}, 5000)'], timeoutMs: 200, envFrom: {} },
      {},
      { cwd: process.cwd() },
    );
    expect(slow.timedOut).toBe(true);
    await expect(
      runCommand(
        { argv: ['true'], timeoutMs: 1000, envFrom: { X: 'RUNWAY_TEST_UNSET_VARIABLE' } },
        {},
        { cwd: process.cwd() },
      ),
    ).rejects.toThrow(/RUNWAY_TEST_UNSET_VARIABLE/);
  });
});
