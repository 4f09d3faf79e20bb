import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { behaviourOf, isStrictSemver } from '../../demo/edm-web/version.js';
import { REPO_ROOT } from './support.js';

describe('edm-web versions', () => {
  it('accepts canonical semantic versions only', () => {
    for (const version of ['1.0.0', '1.2.0+slow', '2.0.0-rc.1+failing', '1.2.0+build.7']) {
      expect(isStrictSemver(version), version).toBe(true);
    }
    for (const version of ['v1.2.0', '=1.2.0', ' 1.2.0', '1.2', 'latest', '']) {
      expect(isStrictSemver(version), version).toBe(false);
    }
  });

  it('chooses its behaviour from the build metadata', () => {
    expect(behaviourOf('1.2.0')).toBe('healthy');
    expect(behaviourOf('1.2.0+healthy')).toBe('healthy');
    expect(behaviourOf('1.2.0+slow')).toBe('slow');
    expect(behaviourOf('1.2.0+failing')).toBe('failing');
    expect(behaviourOf('1.2.0+slow.failing')).toBe('failing');
    expect(behaviourOf('1.2.0+errors')).toBe('errors');
    expect(behaviourOf('1.2.0+degrading')).toBe('degrading');
    expect(behaviourOf('1.2.0+unhealthy-later')).toBe('unhealthy-later');
    expect(behaviourOf('1.2.0+build.7.errors')).toBe('errors');
    expect(behaviourOf('1.2.0+errors.failing')).toBe('failing');
    expect(behaviourOf('1.2.0+slow.degrading')).toBe('degrading');
  });

  it('refuses to start with a version that is not semver', async () => {
    const result = await execa(
      process.execPath,
      ['--import', 'tsx', 'demo/edm-web/server.ts', '--port', '1', '--version', 'latest', '--colour', 'blue'],
      { cwd: REPO_ROOT, reject: false },
    );
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('--version must be a semantic version');
  }, 15_000);
});
