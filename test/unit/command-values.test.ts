// R-INPUT: what reaches a command line is a plain token. The API's patterns for names and versions
// admit nothing the command template would refuse, and the template refuses every hostile value
// whatever path it came by (a config file, a future route).
import { describe, expect, it } from 'vitest';
import { RELEASE_ID_PATTERN, StartReleaseSchema } from '../../api/release-schemas.js';
import { newReleaseId } from '../../api/services/release-starter.js';
import { COMMAND_VALUE_PATTERN, fillPlaceholders } from '../../config/command-template.js';

const HOSTILE = [
  '--help',
  '-',
  '-x',
  '1.0.0;rm -rf /',
  '1.0.0 && id',
  '1.0.0|id',
  '`id`',
  '$(id)',
  ['$', '{IFS}'].join(''),
  '1.0.0\u0000',
  '1.0.0\n--force',
  '1.0.0\r',
  ' 1.0.0',
  '1.0.0 ',
  '\t1.0.0',
  '"1.0.0"',
  "'1.0.0'",
  '1.0.0>out',
  '*',
  '~root',
  '%00',
  '\uff0dforce',
  '\u2212force',
  '\u00a01.0.0',
  '1.0\u200b.0',
  '\u0435dm-web',
  '',
];

describe('values on a command line', () => {
  it.each(HOSTILE.map((value) => [JSON.stringify(value), value]))('refuses %s', (_shown, value) => {
    expect(COMMAND_VALUE_PATTERN.test(value)).toBe(false);
    expect(() => fillPlaceholders(['edm-ctl', 'deploy', '{version}'], { version: value })).toThrow(
      /not allowed on a command line/,
    );
  });

  it('refuses a 10 kB value that starts with an option', () => {
    expect(() => fillPlaceholders(['{v}'], { v: `-${'a'.repeat(10_240)}` })).toThrow(/not allowed/);
  });

  it('never splits a value into several arguments', () => {
    expect(fillPlaceholders(['--version={version}'], { version: '1.4.2+build.7' })).toEqual([
      '--version=1.4.2+build.7',
    ]);
  });
});

describe('what the API lets through', () => {
  const accepted = [
    { service: 'edm-web', version: '0.0.0' },
    { service: 'a', version: '1.4.2-rc.1+build.7' },
    { service: 'x9-y', version: '10.20.30-alpha.beta-1' },
  ];

  it.each(accepted)('is a plain command-line value: $service $version', (request) => {
    expect(StartReleaseSchema.safeParse({ type: 'regular', ...request }).success).toBe(true);
    expect(COMMAND_VALUE_PATTERN.test(request.service)).toBe(true);
    expect(COMMAND_VALUE_PATTERN.test(request.version)).toBe(true);
    const id = newReleaseId({ type: 'hotfix', ...request });
    expect(RELEASE_ID_PATTERN.test(id)).toBe(true);
    expect(COMMAND_VALUE_PATTERN.test(id)).toBe(true);
  });

  it.each(HOSTILE.map((value) => [JSON.stringify(value), value]))(
    'refuses %s as a version and as a service',
    (_shown, value) => {
      expect(
        StartReleaseSchema.safeParse({ type: 'regular', service: 'edm-web', version: value }).success,
      ).toBe(false);
      expect(
        StartReleaseSchema.safeParse({ type: 'regular', service: value, version: '1.0.0' }).success,
      ).toBe(false);
    },
  );
});
