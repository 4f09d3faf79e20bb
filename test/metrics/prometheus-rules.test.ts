// The shipped Prometheus configuration and rules, checked by promtool (Debian's prometheus package;
// CI installs it): the configuration and every rule file are valid, and the rules' unit tests in
// deploy/prometheus/tests pass.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../stack/temporal-binaries.js';
import { PROMTOOL } from './support/prometheus-server.js';

const PROMETHEUS_DIR = join(projectRoot, 'deploy/prometheus');
const filesIn = (folder: string, suffix: string) =>
  readdirSync(join(PROMETHEUS_DIR, folder))
    .filter((file) => file.endsWith(suffix))
    .map((file) => join(PROMETHEUS_DIR, folder, file));

async function promtool(args: string[]) {
  const result = await execa(PROMTOOL, args, { reject: false, all: true });
  return { exitCode: result.exitCode, output: result.all ?? '' };
}

describe('deploy/prometheus', () => {
  it('has a valid scrape configuration that loads the rule files', async () => {
    const checked = await promtool(['check', 'config', join(PROMETHEUS_DIR, 'prometheus.yml')]);
    expect(checked.exitCode, checked.output).toBe(0);
    for (const file of filesIn('rules', '.yml'))
      expect(checked.output).toContain(file.slice(PROMETHEUS_DIR.length + 1));
  });

  it('has valid recording and alerting rules', async () => {
    const files = filesIn('rules', '.yml');
    expect(files.length).toBeGreaterThanOrEqual(2);
    const checked = await promtool(['check', 'rules', ...files]);
    expect(checked.exitCode, checked.output).toBe(0);
    expect(checked.output).not.toMatch(/FAILED|WARNING/);
  });

  it("passes the rules' unit tests", async () => {
    const tests = filesIn('tests', '.test.yml');
    expect(tests.length).toBeGreaterThanOrEqual(2);
    const tested = await promtool(['test', 'rules', ...tests]);
    expect(tested.exitCode, tested.output).toBe(0);
    expect(tested.output.match(/SUCCESS/g)).toHaveLength(tests.length);
  });

  it('unit-tests every alert and recording rule it defines', () => {
    const tests = filesIn('tests', '.test.yml')
      .map((file) => readFileSync(file, 'utf8'))
      .join('\n');
    const rules = filesIn('rules', '.yml')
      .map((file) => readFileSync(file, 'utf8'))
      .join('\n');
    const alerts = [...rules.matchAll(/- alert: (\w+)/g)].map((found) => found[1] as string);
    const records = [...rules.matchAll(/- record: ([\w:]+)/g)].map((found) => found[1] as string);
    expect(alerts.length).toBeGreaterThan(3);
    expect(records.length).toBeGreaterThan(3);
    for (const alert of alerts) expect(tests, alert).toContain(`alertname: ${alert}`);
    for (const record of records) expect(tests, record).toContain(`expr: ${record}`);
  });
});
