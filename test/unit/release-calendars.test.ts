// The configured calendars as the worker and the API use them: a window closing too soon is not
// entered, a calendar past its data says so instead of guessing, and starts warn before the end.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReleaseCalendars } from '../../calendar/release-calendars.js';

let dir: string;
let calendars: ReleaseCalendars;
const policy = { windows: true, freezes: true };
const check = (at: string, minimumRemainingMs = 15 * 60_000) =>
  calendars.check({ environment: 'production', at, policy, minimumRemainingMs });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'runway-calendars-'));
  await writeFile(join(dir, 'calendar.yml'), 'country: CN\n');
  calendars = new ReleaseCalendars({
    environments: { production: { timeZone: 'Asia/Shanghai' } } as never,
    calendarFile: join(dir, 'calendar.yml'),
  });
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the configured release calendars', () => {
  it('enters an open window, with when it closes', async () => {
    // Tuesday 2026-12-01 10:30 in Shanghai.
    expect(await check('2026-12-01T02:30:00.000Z')).toEqual({
      kind: 'open',
      windowEnd: '2026-12-01T04:00:00.000Z',
    });
  });

  it('does not enter a window that closes too soon, and waits for the next one', async () => {
    // 11:50: ten minutes left of the morning window.
    expect(await check('2026-12-01T03:50:00.000Z')).toEqual({
      kind: 'wait',
      until: '2026-12-01T06:00:00.000Z',
      reason: 'the window closes at 2026-12-01T04:00:00.000Z, too soon to start',
    });
    expect(await check('2026-12-01T03:50:00.000Z', 5 * 60_000)).toMatchObject({ kind: 'open' });
  });

  it('says it cannot answer past its data rather than guess', async () => {
    const answer = await check('2027-01-12T02:30:00.000Z');
    expect(answer).toMatchObject({ kind: 'unknown' });
    expect(answer.kind === 'unknown' && answer.reason).toContain('holiday data until 2026-12-28');
  });

  it('warns at start within 60 days of the last instant it can answer, not before', async () => {
    expect(await calendars.dataEndWarning(new Date('2026-09-01T00:00:00Z'))).toBeUndefined();
    expect(await calendars.dataEndWarning(new Date('2026-11-26T00:00:00Z'))).toContain(
      'answers until 2026-12-21T07:59:00.000Z (in 25 days',
    );
    // A day's answer looks ahead a week (the working day before a holiday), so it ends before the data.
    expect(await calendars.effectiveUntil()).toEqual(new Date('2026-12-21T07:59:00.000Z'));
    expect(await calendars.dataEndWarning(new Date('2026-12-22T00:00:00Z'))).toContain(
      'cannot answer since 2026-12-21T07:59:00.000Z',
    );
  });
});

describe('the calendar file, kept while it stays the same', () => {
  it('is read again as soon as it changes: a freeze added while a release waits is seen at once', async () => {
    const file = join(dir, 'edited.yml');
    await writeFile(file, 'country: CN\n');
    const edited = new ReleaseCalendars({
      environments: { production: { timeZone: 'Asia/Shanghai' } } as never,
      calendarFile: file,
    });
    const at = '2026-12-01T02:30:00.000Z';
    const ask = () => edited.check({ environment: 'production', at, policy, minimumRemainingMs: 0 });
    expect(await ask()).toMatchObject({ kind: 'open' });
    // Kept: the same calendar answers the next question.
    expect(await edited.calendarOf('production')).toBe(await edited.calendarOf('production'));
    await writeFile(
      file,
      'country: CN\nfreezes:\n  - { start: "2026-12-01T00:00", end: "2026-12-02T00:00", reason: "audit" }\n',
    );
    expect(await ask()).toMatchObject({ kind: 'wait', reason: expect.stringContaining('audit') });
    // A file of the same size written in its place is another file.
    await writeFile(
      file,
      'country: CN\nfreezes:\n  - { start: "2026-12-01T00:00", end: "2026-12-02T00:00", reason: "tidy" }\n',
    );
    expect(await ask()).toMatchObject({ kind: 'wait', reason: expect.stringContaining('tidy') });
    await rm(file);
    await expect(ask()).rejects.toThrow();
  });
});
