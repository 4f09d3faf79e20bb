import { describe, expect, it } from 'vitest';
import { ErrorShare, FaultClock, type FaultSettings, readFaultSettings } from '../../demo/edm-web/faults.js';

function failures(share: number, requests: number): number {
  const errors = new ErrorShare(share);
  let failed = 0;
  for (let i = 0; i < requests; i++) if (errors.nextFails()) failed += 1;
  return failed;
}

describe('edm-web fault settings', () => {
  it('default to faults 5 s after start, 30 % errors, 300 ms more latency', () => {
    expect(readFaultSettings({})).toEqual({
      afterMs: 5000,
      clock: 'start',
      errorShare: 0.3,
      degradedDelayMs: 300,
    });
    expect(
      readFaultSettings({
        EDM_FAULT_AFTER_MS: '250',
        EDM_FAULT_CLOCK: 'traffic',
        EDM_ERROR_SHARE: '0.5',
        EDM_DEGRADED_DELAY_MS: '900',
      }),
    ).toEqual({ afterMs: 250, clock: 'traffic', errorShare: 0.5, degradedDelayMs: 900 });
  });

  it('refuses values it cannot use, naming the variable', () => {
    expect(() => readFaultSettings({ EDM_FAULT_CLOCK: 'deploy' })).toThrow(/EDM_FAULT_CLOCK/);
    expect(() => readFaultSettings({ EDM_FAULT_AFTER_MS: '-1' })).toThrow(/EDM_FAULT_AFTER_MS/);
    expect(() => readFaultSettings({ EDM_ERROR_SHARE: 'lots' })).toThrow(/EDM_ERROR_SHARE/);
  });
});

describe('the share of failing requests', () => {
  it('is exact over any run of requests, not sampled', () => {
    expect(failures(0.3, 10)).toBe(3);
    expect(failures(0.3, 1000)).toBe(300);
    expect(failures(0.05, 100)).toBe(5);
    expect(failures(0, 100)).toBe(0);
    expect(failures(1, 100)).toBe(100);
  });
});

describe('the fault clock', () => {
  const settings = (clock: FaultSettings['clock']): FaultSettings => ({
    afterMs: 1000,
    clock,
    errorShare: 0.3,
    degradedDelayMs: 300,
  });

  it('with clock=start, counts from listening', () => {
    let now = 0;
    const clock = new FaultClock(settings('start'), () => now);
    expect(clock.faultBegun).toBe(false);
    now = 100;
    clock.noteListening();
    now = 1099;
    expect(clock.faultBegun).toBe(false);
    now = 1100;
    expect(clock.faultBegun).toBe(true);
  });

  it('with clock=traffic, counts from the first forwarded request only', () => {
    let now = 0;
    const clock = new FaultClock(settings('traffic'), () => now);
    clock.noteListening();
    clock.noteRequest(false);
    now = 60_000;
    expect(clock.faultBegun).toBe(false);
    clock.noteRequest(true);
    now = 60_500;
    clock.noteRequest(true);
    expect(clock.faultBegun).toBe(false);
    now = 61_000;
    expect(clock.faultBegun).toBe(true);
  });
});
