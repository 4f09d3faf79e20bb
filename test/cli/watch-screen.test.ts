// How `runway watch` draws on a terminal and stops: the frame clipped to the terminal's height
// around the step under way, every line one screen row, each redraw going back over exactly the rows
// the last one drew; and Ctrl-C ending a request the API has not answered yet.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiClient } from '../../cli/api-client.js';
import { createOutput, visibleLength } from '../../cli/output.js';
import type { ReleaseFrame } from '../../cli/release-view.js';
import { clipFrame, inPlaceScreen, watchRelease } from '../../cli/release-watch.js';

const steps = (count: number) => Array.from({ length: count }, (_, index) => `  · step-${index + 1}`);

function frame(count: number, current: number, notes: string[] = []): ReleaseFrame {
  return { header: ['edm-web 1.1.0 regular', 'status running'], steps: steps(count), current, notes };
}

describe('a frame clipped to the terminal', () => {
  it('is drawn whole when it fits', () => {
    expect(clipFrame(frame(3, 1), 10)).toEqual(['edm-web 1.1.0 regular', 'status running', ...steps(3)]);
  });

  it('keeps the header and the notes, and the steps around the current one with what was left out', () => {
    const notes = ['waits for a decision on deploy-production (production): exit 1', '  answer with: …'];
    expect(clipFrame(frame(20, 10, notes), 11)).toEqual([
      'edm-web 1.1.0 regular',
      'status running',
      '  ⋮ 8 earlier steps',
      ...steps(13).slice(8),
      '  ⋮ 7 later steps',
      ...notes,
    ]);
    // At the start and at the end, one row says what was left out, on the side there is some.
    expect(clipFrame(frame(20, 0), 6)).toEqual([
      'edm-web 1.1.0 regular',
      'status running',
      '  · step-1',
      '  · step-2',
      '  · step-3',
      '  ⋮ 17 later steps',
    ]);
    expect(clipFrame(frame(20, 19), 5).slice(2)).toEqual([
      '  ⋮ 18 earlier steps',
      '  · step-19',
      '  · step-20',
    ]);
  });

  it('on a terminal shorter than its header and notes, keeps the current step and never passes the height', () => {
    const notes = ['note 1', 'note 2', 'note 3'];
    expect(clipFrame(frame(20, 7, notes), 4)).toEqual([
      'edm-web 1.1.0 regular',
      'status running',
      '  · step-8',
      'note 1',
    ]);
    for (let rows = 1; rows <= 30; rows++) {
      for (const current of [0, 7, 19]) {
        expect(clipFrame(frame(20, current, notes), rows).length).toBeLessThanOrEqual(rows);
      }
    }
    expect(clipFrame(frame(20, 7), 6)).toContain('  · step-8');
  });
});

const WRAP_OFF = '\x1b[?7l';
const WRAP_ON = '\x1b[?7h';

/** A terminal of `rows` × `columns` that keeps what is written to it. */
function fakeTerminal(rows: number, columns: number) {
  const writes: string[] = [];
  return { rows, columns, writes, write: (text: string) => writes.push(text) };
}

describe('redrawing in place', () => {
  it('draws each line as one row within the width and goes back over exactly the rows it drew', () => {
    const terminal = fakeTerminal(8, 30);
    const draw = inPlaceScreen(terminal);
    const tall: ReleaseFrame = {
      ...frame(12, 5),
      // A line that would wrap, and one a line break would make two (text the views did not clean).
      steps: steps(12).map((line, index) =>
        index === 5 ? `  ▶ step-6  deploying ${'x'.repeat(80)}` : index === 6 ? `${line}  a\nb` : line,
      ),
    };
    draw(tall);
    draw(frame(2, 0));
    draw(frame(2, 1));
    const [first, second, third] = terminal.writes;
    const rowsOf = (write: string | undefined = '') => {
      // Line wrap is off while drawing and on again after, so nothing wider than counted wraps.
      expect(write.endsWith(`\n${WRAP_ON}`)).toBe(true);
      const lines = write.slice(write.indexOf(WRAP_OFF) + WRAP_OFF.length, -WRAP_ON.length - 1).split('\n');
      for (const line of lines) expect(visibleLength(line)).toBeLessThanOrEqual(30);
      return lines.length;
    };
    const firstRows = rowsOf(first);
    expect(firstRows).toBe(7);
    expect(first).toContain(`  ▶ step-6  deploying ${'x'.repeat(7)}…\n`);
    expect(first).toContain('  · step-7  a b');
    expect(first?.startsWith(WRAP_OFF)).toBe(true);
    expect(second?.startsWith(`\x1b[${firstRows}F\x1b[J`)).toBe(true);
    expect(third?.startsWith(`\x1b[${rowsOf(second)}F\x1b[J`)).toBe(true);
    expect(rowsOf(third)).toBe(4);
  });
});

describe('Ctrl-C during a watch', () => {
  let server: Server;
  let url: string;
  beforeAll(async () => {
    // An API that takes the request and never answers.
    server = createServer(() => {});
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('ends the request under way at once, without waiting for the API', async () => {
    const client = createApiClient({ url, token: 'rw_test' });
    const stderr = new PassThrough();
    let noted = '';
    stderr.on('data', (chunk: Buffer) => {
      noted += chunk.toString('utf8');
    });
    const out = createOutput({
      json: false,
      stdout: new PassThrough() as unknown as NodeJS.WriteStream,
      stderr: stderr as unknown as NodeJS.WriteStream,
      env: {},
    });
    const interrupt = new AbortController();
    const started = Date.now();
    setTimeout(() => interrupt.abort(), 200);
    const end = await watchRelease(client, 'edm-web-regular-1.1.0-abc123', {
      out,
      tty: false,
      signal: interrupt.signal,
    });
    expect(end).toEqual({ kind: 'interrupted', release: undefined });
    expect(Date.now() - started).toBeLessThan(2000);
    // Stopping is not an outage: nothing says the API is asked again.
    expect(noted).toBe('');
  });
});
