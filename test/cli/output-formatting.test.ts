// What the runway command prints and how it exits: exit codes per release status, durations,
// tables, an API error's one line, and a release as a watch shows it. Pure pieces, no server.
import { describe, expect, it } from 'vitest';
import { describeApiError } from '../../cli/api-client.js';
import type { Release } from '../../cli/api-types.js';
import { healthTable } from '../../cli/commands/health-check-command.js';
import { formatMetricValue } from '../../cli/commands/metrics-command.js';
import { formatDuration, parseDuration, parseInstant } from '../../cli/durations.js';
import { EXIT, EXIT_CODES_HELP, exitCodeForStatus } from '../../cli/exit-codes.js';
import {
  fitToWidth,
  formatTable,
  paletteFor,
  printable,
  printableStrings,
  visibleLength,
  wantsColour,
} from '../../cli/output.js';
import { gateText, outcomeLine, releaseFacts, releaseFrame } from '../../cli/release-view.js';
import { RELEASE_STATUSES } from '../../workflows/release-model.js';

describe('exit codes', () => {
  it('maps every release status: 0 production work done, 3 failed or rolled back, 4 not shipped, none while under way', () => {
    const byStatus = Object.fromEntries(
      RELEASE_STATUSES.map((status) => [status, exitCodeForStatus(status)]),
    );
    expect(byStatus).toEqual({
      running: undefined,
      'awaiting-approval': undefined,
      'waiting-window': undefined,
      'waiting-decision': undefined,
      'rolling-back': undefined,
      succeeded: 0,
      'awaiting-docs': 0,
      failed: 3,
      'rolled-back': 3,
      rejected: 4,
      cancelled: 4,
      expired: 4,
      superseded: 4,
      abandoned: 4,
    });
  });

  it('documents each code in the help text', () => {
    for (const code of Object.values(EXIT))
      expect(EXIT_CODES_HELP).toMatch(new RegExp(`^  ${code} +\\S`, 'm'));
  });
});

describe('durations and instants', () => {
  it('reads what people type', () => {
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('45')).toBe(45_000);
    expect(parseDuration('250ms')).toBe(250);
    expect(() => parseDuration('3q')).toThrow('expected a duration such as 90s');
    const now = new Date('2026-12-06T10:00:00.000Z');
    expect(parseInstant('2h', now)).toBe('2026-12-06T08:00:00.000Z');
    expect(parseInstant('2026-12-01T08:00:00+08:00', now)).toBe('2026-12-01T00:00:00.000Z');
    expect(() => parseInstant('yesterday', now)).toThrow('expected an ISO-8601 instant');
  });

  it('prints them short', () => {
    expect([850, 4150, 42_000, 62_000, 3_900_000, 97_200_000].map(formatDuration)).toEqual([
      '850ms',
      '4.1s',
      '42s',
      '1m02s',
      '1h05m',
      '1d03h',
    ]);
  });

  it('prints metric values by unit', () => {
    expect(formatMetricValue(2.5, 'per-week')).toBe('2.5/week');
    expect(formatMetricValue(0.9712, 'ratio')).toBe('97.1 %');
    expect(formatMetricValue(750, 'seconds')).toBe('12m30s');
  });
});

describe('text output', () => {
  it('colours only a terminal without NO_COLOR', () => {
    expect(wantsColour({ isTTY: true }, {})).toBe(true);
    expect(wantsColour({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(wantsColour({ isTTY: false }, {})).toBe(false);
    expect(wantsColour({}, {})).toBe(false);
  });

  it('aligns table columns by what shows on screen, escapes left out', () => {
    const paint = paletteFor(true);
    const lines = formatTable(
      ['A', 'STATUS', 'X'],
      [
        ['one', paint.green('succeeded'), 'x'],
        ['three', 'failed', 'y'],
      ],
    );
    expect(lines).toEqual([
      'A      STATUS     X',
      `one    ${paint.green('succeeded')}  x`,
      'three  failed     y',
    ]);
    expect(visibleLength(paint.red('abc'))).toBe(3);
  });

  it('makes an API error one line with its status', () => {
    expect(describeApiError(409, { code: 'conflict', message: 'the gate\nis closed' })).toBe(
      '409 Conflict: the gate is closed',
    );
    expect(
      describeApiError(409, { message: 'still in flight', activeReleaseId: 'edm-web-regular-1.1.0-aaaaaa' }),
    ).toBe('409 Conflict: still in flight (in flight: edm-web-regular-1.1.0-aaaaaa)');
    expect(describeApiError(502, undefined)).toBe('502 Bad Gateway');
  });
});

const T0 = Date.parse('2026-12-06T10:00:00.000Z');
const at = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();

/** A regular release waiting at its change approval, pm-li having approved; only what the views read. */
function releaseAtGate(): Release {
  return {
    id: 'edm-web-regular-1.1.0-abc123',
    type: 'regular',
    service: 'edm-web',
    version: '1.1.0',
    changeRef: 'CHG-7',
    requestedBy: 'ops-wang',
    status: 'awaiting-approval',
    createdAt: at(0),
    finishedAt: null,
    failure: null,
    waitingWindow: null,
    pendingDecision: null,
    pendingRollbackOrder: null,
    rollback: null,
    supersededBy: null,
    postHoc: null,
    rollbackPlan: [],
    pendingGate: {
      gateId: 'change-approval',
      name: 'Change approval',
      environment: 'production',
      quorum: ['pm', 'tech-lead'],
      approvals: [{ approver: 'pm-li', seat: 'pm', at: at(30), comment: null }],
      missing: ['tech-lead'],
    },
    plan: {
      type: 'regular',
      description: 'test',
      rollback: null,
      steps: [
        {
          id: 'deploy-test',
          name: 'Deploy to TEST',
          environment: 'test',
          kind: 'deploy',
          strategy: 'blue-green',
        },
        {
          id: 'change-approval',
          name: 'Change approval',
          environment: 'production',
          kind: 'approval',
          quorum: ['pm', 'tech-lead'],
          roster: [
            { identity: 'pm-li', roles: ['pm'] },
            { identity: 'tl-zhang', roles: ['tech-lead'] },
            { identity: 'ops-wang', roles: ['tech-lead'] },
          ],
        },
        {
          id: 'bake-production',
          name: 'Bake',
          environment: 'production',
          kind: 'bake',
          durationMs: 60_000,
          baselineStepId: null,
          thresholds: { healthConsecutiveFailures: 3, errorRatePercent: 5, p95PercentOfBaseline: 200 },
        },
      ],
    },
    steps: [
      {
        id: 'deploy-test',
        name: 'Deploy to TEST',
        kind: 'deploy',
        environment: 'test',
        status: 'succeeded',
        startedAt: at(1),
        finishedAt: at(5.2),
        durationMs: 4200,
        error: null,
        detail: null,
      },
      {
        id: 'change-approval',
        name: 'Change approval',
        kind: 'approval',
        environment: 'production',
        status: 'running',
        startedAt: at(6),
        finishedAt: null,
        durationMs: null,
        error: null,
        detail: null,
      },
    ],
  } as unknown as Release;
}

describe('a release as the command shows it', () => {
  it('names the seats a gate misses and who may fill them, never the requester', () => {
    const release = releaseAtGate();
    const step = release.plan.steps[1];
    expect(step && gateText(release, step)).toBe('waits for tech-lead (tl-zhang); approved by pm-li (pm)');
  });

  it('redraws every step with its time on a terminal', () => {
    const lines = releaseFrame(releaseAtGate(), T0 + 62_000, paletteFor(false));
    expect(lines).toEqual([
      'edm-web 1.1.0 regular  edm-web-regular-1.1.0-abc123',
      'status awaiting-approval   elapsed 1m02s   requested by ops-wang   CHG-7',
      '  ✓ deploy-test      test        4.2s',
      '  ▶ change-approval  production  56s      waits for tech-lead (tl-zhang); approved by pm-li (pm)',
      '  · bake-production  production',
    ]);
  });

  it('lists facts without a clock, so a change prints once; a bake says how long and what trips it', () => {
    const release = releaseAtGate();
    expect(releaseFacts(release)).toEqual([
      'deploy-test (test) started',
      'deploy-test succeeded in 4.2s',
      'change-approval (production) started',
      'change-approval waits for tech-lead (tl-zhang); approved by pm-li (pm)',
      'status awaiting-approval',
    ]);
    const baking = {
      ...release,
      status: 'running',
      pendingGate: null,
      steps: [
        ...release.steps,
        { ...release.steps[1], id: 'bake-production', kind: 'bake', status: 'running', startedAt: at(70) },
      ],
    } as Release;
    expect(releaseFacts(baking)).toContain(
      'bake-production baking 1m00s; rolls back if health fails 3× in a row, errors pass 5 %',
    );
    expect(releaseFrame(baking, T0 + 82_000, paletteFor(false)).at(-1)).toBe(
      '  ▶ bake-production  production  12s      baking 12s of 1m00s; rolls back if health fails 3× in a row, errors pass 5 %',
    );
  });

  it("shows a bake's live figures once it has judged, with the baseline, and how old a stale report is", () => {
    const release = releaseAtGate();
    const plan = release.plan.steps.map((step) =>
      step.kind === 'bake' ? { ...step, baselineStepId: 'baseline-production' } : step,
    );
    const running = release.steps[1] as Release['steps'][number];
    const live: NonNullable<Release['live']> = {
      step: 'bake-production',
      kind: 'bake',
      elapsedMs: 41_800,
      verdict: 'healthy',
      summary: 'every trigger passed',
      checks: [
        {
          trigger: 'health',
          outcome: 'passed',
          measured: 0,
          threshold: 3,
          unit: 'failures',
          detail: '0 consecutive health check failures (0 of 40 failed); trips at 3',
        },
        {
          trigger: 'error-rate',
          outcome: 'passed',
          measured: 0,
          threshold: 5,
          unit: 'percent',
          detail: 'error rate 0% (0 of 312 requests); trips above 5%',
        },
        {
          trigger: 'latency-p95',
          outcome: 'passed',
          measured: 41.2,
          threshold: 78,
          unit: 'ms',
          detail: 'p95 41.2 ms against a baseline of 39 ms; trips above 200% of it, 78 ms',
        },
      ],
      windowMs: 30_000,
      traffic: { requests: 312, errors: 0, p95Ms: 41.2 },
      updatedAt: at(111.8),
    };
    const baking = {
      ...release,
      status: 'running',
      pendingGate: null,
      plan: { ...release.plan, steps: plan },
      steps: [
        ...release.steps,
        {
          ...running,
          id: 'baseline-production',
          kind: 'baseline',
          status: 'succeeded',
          detail: { p95Ms: 38.6, requests: 80 },
        },
        { ...running, id: 'bake-production', kind: 'bake', status: 'running', startedAt: at(70) },
      ],
      live,
    } as Release;
    const bakeLine = (view: Release, seconds: number) =>
      releaseFrame(view, T0 + seconds * 1000, paletteFor(false)).at(-1);
    expect(bakeLine(baking, 112)).toBe(
      '  ▶ bake-production  production  42s      baking 42s of 1m00s · healthy · health ok · error rate 0.0 % (0 of 312) · p95 41 ms (baseline 39 ms)',
    );
    // A report the bake's worker has not renewed says how old it is.
    expect(bakeLine(baking, 125)).toMatch(/p95 41 ms \(baseline 39 ms\) · reported 13s ago$/);
    // Before its first judgement, and when the API could not say, the line says what trips it.
    const unjudged = { ...baking, live: { ...live, verdict: null, checks: [], traffic: null } } as Release;
    expect(bakeLine(unjudged, 71)).toMatch(/baking 1\.0s of 1m00s; rolls back if health fails 3× in a row/);
    expect(bakeLine({ ...baking, live: null }, 71)).toMatch(/baking 1\.0s of 1m00s; rolls back if/);
    // Without a terminal, the verdict is a fact of its own, printed once until it changes.
    expect(releaseFacts(baking)).toContain('bake-production judged healthy so far');
    expect(releaseFacts(unjudged).some((fact) => fact.includes('judged'))).toBe(false);

    const tripping = {
      ...baking,
      live: {
        ...live,
        verdict: 'unhealthy',
        checks: [
          { trigger: 'health', outcome: 'no-verdict', detail: 'no health check ran' },
          {
            trigger: 'error-rate',
            outcome: 'tripped',
            measured: 12.5,
            threshold: 5,
            unit: 'percent',
            detail: 'error rate 12.5% (5 of 40 requests); trips above 5%',
          },
          { trigger: 'latency-p95', outcome: 'no-verdict', detail: '40 requests, fewer than the 50 needed' },
        ],
        traffic: { requests: 40, errors: 5, p95Ms: 12 },
      },
    } as Release;
    expect(bakeLine(tripping, 112)).toMatch(
      /· unhealthy · health not judged · error rate 12\.5 % \(5 of 40\) tripped · p95 not judged$/,
    );
  });

  it('says why a release stopped, and what a waiting decision needs', () => {
    const failed = {
      ...releaseAtGate(),
      status: 'waiting-decision',
      pendingGate: null,
      pendingDecision: {
        gateId: 'guided:deploy-production',
        kind: 'step',
        subject: 'deploy-production',
        environment: 'production',
        reason: 'check exited with 1',
        options: ['retry', 'rollback', 'abort'],
        since: at(90),
      },
    } as Release;
    expect(releaseFacts(failed)).toEqual(
      expect.arrayContaining([
        'waits for a decision on deploy-production (production): check exited with 1',
        '  answer with: runway decide edm-web-regular-1.1.0-abc123 retry|rollback|abort --reason "…"',
      ]),
    );
    const rejected = {
      ...releaseAtGate(),
      status: 'rejected',
      pendingGate: null,
      failure: { step: 'change-approval', reason: 'rejected by tl-zhang: legal hold' },
    } as Release;
    expect(releaseFacts(rejected).slice(-2)).toEqual([
      'stopped at change-approval: rejected by tl-zhang: legal hold',
      'status rejected',
    ]);
  });
});

// What a hostile deploy script, reason or proxy could put in the text the server hands back.
const OSC52 = '\x1b]52;c;Y3VybCBldmlsLmV4YW1wbGUgfCBzaA==\x07';
const FAKE_SUCCESS = 'boom\x1b[1A\x1b[2K\r  ✓ deploy-production  production  4.2s';
const BELL_AND_DELETE = 'ring\x07 rub\x7f out';
const C1 = 'c1 \u009b31m csi \u009d0;title\u009c end';
const LINES = 'first\nsecond\r\nthird\tfourth';
// Any C0 or C1 control character, or DEL: none may reach the terminal from the server.
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const CONTROL = /[\x00-\x1f\x7f-\x9f]/;

describe('text from the server, shown and never obeyed', () => {
  it('drops escape sequences, makes line breaks spaces and shows any other control character as �', () => {
    expect(printable(`copied${OSC52} here`)).toBe('copied here');
    expect(printable(FAKE_SUCCESS)).toBe('boom   ✓ deploy-production  production  4.2s');
    expect(printable(BELL_AND_DELETE)).toBe('ring� rub� out');
    expect(printable(C1)).toBe('c1 �31m csi �0;title� end');
    expect(printable(LINES)).toBe('first second third fourth');
    expect(printable('a lone \x1b escape, \x1b]52;c;unterminated')).toBe(
      'a lone � escape, �]52;c;unterminated',
    );
    expect(printable('\x1b[31mcoloured\x1b[39m stderr')).toBe('coloured stderr');
    expect(printable('部署失败: 超时')).toBe('部署失败: 超时');
    for (const text of [OSC52, FAKE_SUCCESS, BELL_AND_DELETE, C1, LINES])
      expect(printable(text)).not.toMatch(CONTROL);
  });

  it('makes every string of an answer printable, whatever its depth, and leaves other values alone', () => {
    expect(
      printableStrings({ a: [`x${OSC52}`, { b: 'y\nz', n: 3, t: true, none: null }], c: undefined }),
    ).toEqual({ a: ['x', { b: 'y z', n: 3, t: true, none: null }], c: undefined });
  });

  it("keeps an API error's body to one printable line", () => {
    expect(describeApiError(500, { message: `<html>\n${OSC52}Internal\x1b[2J error\r\n</html>` })).toBe(
      '500 Internal Server Error: <html> Internal error </html>',
    );
    expect(describeApiError(409, { message: 'busy', activeReleaseId: `edm-web\x1b]0;x\x07-1` })).toBe(
      '409 Conflict: busy (in flight: edm-web-1)',
    );
  });

  it('shows a release whose step errors, reasons and undos carry escapes as plain one-line text', () => {
    const hostile = {
      ...releaseAtGate(),
      status: 'rolled-back',
      pendingGate: null,
      finishedAt: at(300),
      changeRef: `CHG-7${OSC52}`,
      steps: [
        {
          ...releaseAtGate().steps[0],
          status: 'failed',
          error: `deploy.sh exited 1: ${FAKE_SUCCESS}\n${OSC52}`,
        },
      ],
      rollbackPlan: [
        {
          id: 'undo-1',
          stepId: 'deploy-test',
          environment: 'test',
          description: `restore 1.0.0${BELL_AND_DELETE}\nsecond line`,
          status: 'done',
          detail: null,
          startedAt: at(200),
          finishedAt: at(210),
          durationMs: 10_000,
        },
      ],
      pendingRollbackOrder: {
        requestedBy: 'ops-wang',
        reason: `why${C1}`,
        at: at(190),
        environment: 'production',
      },
      rollback: { cause: 'manual', reason: `error rate\r\n${FAKE_SUCCESS}`, orderedBy: ['ops-wang'] },
      failure: { step: 'deploy-test', reason: LINES },
    } as unknown as Release;
    const shown = [
      ...releaseFrame(hostile, T0 + 400_000, paletteFor(false)),
      ...releaseFacts(hostile),
      outcomeLine(hostile, T0 + 400_000, paletteFor(false)),
    ];
    for (const line of shown) expect(line).not.toMatch(CONTROL);
    expect(shown).toContain(
      '  ✗ deploy-test      test        4.2s     deploy.sh exited 1: boom   ✓ deploy-production  production  4.2s',
    );
    expect(shown).toContain('  ↺ undo restore 1.0.0ring� rub� out second line: done in 10s');
    expect(shown).toContain(
      'rollback (manual by ops-wang): error rate boom   ✓ deploy-production  production  4.2s',
    );
    // Coloured on a terminal: the palette's own escapes are the only ones.
    const coloured = releaseFrame(hostile, T0 + 400_000, paletteFor(true)).join('\n');
    expect(coloured).not.toContain('\x1b]');
    expect(coloured).not.toContain('\x1b[1A');
    expect(coloured).not.toContain('\x07');
  });

  it("shows a health check's detail and an unreachable target's error as plain text", () => {
    const lines = healthTable(
      [
        {
          ok: true,
          service: 'edm-web',
          environment: 'test',
          healthy: false,
          checkedAt: at(0),
          checks: [{ name: 'health', passed: false, latencyMs: 5, detail: `status 500${OSC52}\nfake` }],
        },
        {
          ok: false,
          service: 'edm-web',
          environment: 'staging',
          error: { status: 502, message: `bad gateway${FAKE_SUCCESS}` },
        },
      ],
      paletteFor(false),
    );
    for (const line of lines) expect(line).not.toMatch(CONTROL);
    expect(lines.join('\n')).toContain('✗ health 5ms (status 500 fake)');
  });

  it('measures wide characters as two columns and cuts a line to the width with …', () => {
    expect(visibleLength('部署')).toBe(4);
    expect(visibleLength('e\u0301')).toBe(1);
    expect(fitToWidth('short', 10)).toBe('short');
    expect(fitToWidth('abcdefghijkl', 10)).toBe('abcdefghi…');
    expect(fitToWidth('部署失败超时了', 10)).toBe('部署失败…');
    expect(visibleLength(fitToWidth('部署失败超时了', 10))).toBeLessThanOrEqual(10);
    expect(fitToWidth(paletteFor(true).green('abcdefghijkl'), 10)).toBe('abcdefghi…');
  });
});
