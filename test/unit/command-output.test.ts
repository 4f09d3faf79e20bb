// Command output is capped in bytes (R-SECRETS): a command that prints megabytes, or one endless
// line, leaves only its last bytes in memory, in records and in error messages.
import { describe, expect, it } from 'vitest';
import { runCommand } from '../../activities/drivers/command-runner.js';
import { CAPTURE_LIMIT_BYTES, OutputTail, tailBytes } from '../../activities/drivers/output-tail.js';

describe('tailBytes', () => {
  it('keeps short text as it is', () => {
    expect(tailBytes('all of it', 100)).toBe('all of it');
  });

  it('cuts long text to its last bytes, marked, on a whole character', () => {
    const text = `${'发布'.repeat(1000)}end`;
    const cut = tailBytes(text, 100);
    expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(100);
    expect(cut.startsWith('[…] ')).toBe(true);
    expect(cut.endsWith('发布end')).toBe(true);
    expect(cut).not.toContain('\uFFFD');
  });
});

describe('OutputTail', () => {
  it('keeps the last bytes of a stream, whatever size the chunks are', () => {
    const tail = new OutputTail(10);
    for (const chunk of ['abc', 'defghij', 'klmnopqrstu', 'vwxyz']) tail.push(Buffer.from(chunk));
    expect(tail.text()).toBe('qrstuvwxyz');
    expect(tail.dropped).toBe(16);
  });
});

describe('runCommand output', () => {
  it('keeps only the last bytes of a command that prints 8 MB on one line', async () => {
    const result = await runCommand(
      {
        argv: [process.execPath, '-e', 'process.stdout.write("x".repeat(8 * 1024 * 1024) + "THE-END\\n")'],
        timeoutMs: 30_000,
        envFrom: {},
      },
      {},
      { cwd: process.cwd() },
    );
    expect(result.exitCode).toBe(0);
    expect(Buffer.byteLength(result.stdout)).toBeLessThanOrEqual(CAPTURE_LIMIT_BYTES);
    expect(result.stdout.endsWith('xTHE-END')).toBe(true);
  });

  it('redacts a secret even when the cut falls in the middle of it', async () => {
    process.env.EDM_TEST_CUT_SECRET = 'cut-secret-0123456789';
    // The secret straddles the start of the last 64 KiB: only its end survives the cut.
    const script = `const s = process.env.TOKEN; process.stdout.write(s + "y".repeat(${CAPTURE_LIMIT_BYTES} - 9))`;
    const result = await runCommand(
      {
        argv: [process.execPath, '-e', script],
        timeoutMs: 30_000,
        envFrom: { TOKEN: 'EDM_TEST_CUT_SECRET' },
      },
      {},
      { cwd: process.cwd() },
    );
    expect(result.stdout.startsWith('[redacted]yyy')).toBe(true);
    expect(result.stdout).not.toContain('456789');
  });
});
