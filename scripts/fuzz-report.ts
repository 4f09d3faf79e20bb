// Reads what schemathesis recorded (its HAR of every request and its JSON run report) and judges
// the run: per operation, how many cases there were, what they answered, and whether enough of them
// reached the API's logic (2xx) that refusals (401, 403, 404) cannot pass for a clean run.
import { readFile } from 'node:fs/promises';

export const IDENTITY_HEADER = 'x-runway-fuzz-identity';
export const STEERED_HEADER = 'x-runway-fuzz-steered';
const SCHEMATHESIS_AUTH_CASE = '(auth test)';

export interface Share {
  cases: number;
  twoXx: number;
}

export interface OperationStats extends Share {
  operation: string;
  /** HTTP status → cases. */
  statuses: Record<string, number>;
  steered: Share;
  byIdentity: Record<string, Share>;
}

export interface SchemathesisFailure {
  code: string;
  title: string;
  count: number;
  operations: string[];
}

export interface FuzzReport {
  /** Test cases schemathesis generated and sent, its own count. */
  cases: number;
  runningSeconds: number;
  seed: string;
  exitCode: number;
  operations: OperationStats[];
  /** Requests schemathesis's checks sent on their own: undeclared methods, the same case without its token. */
  probes: Record<string, number>;
  failures: SchemathesisFailure[];
  errors: string[];
}

interface HarEntry {
  request: { method: string; url: string; headers: { name: string; value: string }[] };
  response: { status: number };
}

interface JsonRunReport {
  seed: number | string;
  running_time: number;
  exit_code: number;
  test_cases: { generated: number };
  failures: SchemathesisFailure[];
  errors: unknown[];
}

/** `GET /api/v1/releases/{id}` → a matcher for concrete request paths. */
function operationMatcher(operation: string): (method: string, path: string) => boolean {
  const [method, template = ''] = operation.split(' ');
  const pattern = new RegExp(
    `^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`,
  );
  return (requestMethod, path) => requestMethod === method && pattern.test(path);
}

const share = (): Share => ({ cases: 0, twoXx: 0 });

function count(target: Share, status: number): void {
  target.cases += 1;
  if (status >= 200 && status < 300) target.twoXx += 1;
}

/** `operations` are the document's, as "METHOD /path/{param}". */
export async function readFuzzReport(
  files: { har: string; json: string },
  operations: string[],
): Promise<FuzzReport> {
  const har = JSON.parse(await readFile(files.har, 'utf8')) as { log: { entries: HarEntry[] } };
  const run = JSON.parse(await readFile(files.json, 'utf8')) as JsonRunReport;
  const matchers = operations.map((operation) => ({ operation, matches: operationMatcher(operation) }));
  const stats = new Map<string, OperationStats>(
    operations.map((operation) => [
      operation,
      { operation, ...share(), statuses: {}, steered: share(), byIdentity: {} },
    ]),
  );
  const probes: Record<string, number> = {};
  for (const { request, response } of har.log.entries) {
    const headers = new Map(request.headers.map(({ name, value }) => [name.toLowerCase(), value]));
    // Without the header: one of schemathesis's own auth cases (no token, or one it made up).
    const identity = headers.get(IDENTITY_HEADER) ?? SCHEMATHESIS_AUTH_CASE;
    const path = new URL(request.url).pathname;
    const operation = matchers.find((matcher) => matcher.matches(request.method, path))?.operation;
    if (!operation) {
      probes['undeclared method or path'] = (probes['undeclared method or path'] ?? 0) + 1;
      continue;
    }
    // The auth check resends a case without its token: a probe of the check, not a case.
    if (identity !== '(none)' && identity !== SCHEMATHESIS_AUTH_CASE && !headers.has('authorization')) {
      probes['case resent without its token'] = (probes['case resent without its token'] ?? 0) + 1;
      continue;
    }
    const entry = stats.get(operation) as OperationStats;
    count(entry, response.status);
    entry.statuses[response.status] = (entry.statuses[response.status] ?? 0) + 1;
    if (headers.get(STEERED_HEADER) === '1') count(entry.steered, response.status);
    entry.byIdentity[identity] ??= share();
    count(entry.byIdentity[identity], response.status);
  }
  return {
    cases: run.test_cases.generated,
    runningSeconds: run.running_time,
    seed: String(run.seed),
    exitCode: run.exit_code,
    operations: [...stats.values()],
    probes,
    failures: run.failures,
    errors: run.errors.map((error) => JSON.stringify(error)),
  };
}

/** The least share of 2xx answers an operation must reach, over all its cases. */
export interface ShareFloor {
  default: number;
  /**
   * Operations gated by a release's live state, whose 2xx answers are rationed by design. A floor
   * of 0 asks for none: the operation's 2xx needs a state the run does not produce.
   */
  perOperation: Record<string, number>;
}

export function shareProblems(report: FuzzReport, floor: ShareFloor): string[] {
  return report.operations.flatMap((operation) => {
    const minimum = floor.perOperation[operation.operation] ?? floor.default;
    if (operation.cases === 0) return [`${operation.operation}: no cases were sent`];
    const actual = operation.twoXx / operation.cases;
    return actual >= minimum && (operation.twoXx > 0 || minimum === 0)
      ? []
      : [
          `${operation.operation}: ${operation.twoXx} of ${operation.cases} cases answered 2xx ` +
            `(${percent(actual)}, below the floor of ${percent(minimum)})`,
        ];
  });
}

export const percent = (value: number): string => `${(value * 100).toFixed(1)}%`;

const ratio = ({ cases, twoXx }: Share): string =>
  cases === 0 ? '-' : `${twoXx}/${cases} ${percent(twoXx / cases)}`;

/** A plain-text summary: cases, per-operation histogram and 2xx shares, failures. */
export function formatFuzzReport(report: FuzzReport): string {
  const lines = [
    `cases: ${report.cases} in ${report.runningSeconds.toFixed(0)} s (seed ${report.seed})`,
    '',
    'per operation: 2xx share (all cases; steered cases), statuses',
  ];
  for (const operation of report.operations) {
    const statuses = Object.entries(operation.statuses)
      .map(([status, n]) => `${status}×${n}`)
      .join(' ');
    lines.push(
      `  ${operation.operation}: ${ratio(operation)}; steered ${ratio(operation.steered)}`,
      `    statuses: ${statuses || 'none'}`,
      `    2xx by identity: ${Object.entries(operation.byIdentity)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([identity, counted]) => `${identity} ${counted.twoXx}/${counted.cases}`)
        .join(', ')}`,
    );
  }
  const probes = Object.entries(report.probes).map(([what, n]) => `${what} ${n}`);
  lines.push('', `probes sent by the checks: ${probes.join(', ') || 'none'}`);
  lines.push(
    report.failures.length === 0
      ? 'schemathesis failures: none'
      : `schemathesis failures:\n${report.failures
          .map(
            (failure) =>
              `  ${failure.code} ${failure.title} ×${failure.count}: ${failure.operations.join(', ')}`,
          )
          .join('\n')}`,
  );
  if (report.errors.length > 0) lines.push(`schemathesis errors:\n  ${report.errors.join('\n  ')}`);
  return lines.join('\n');
}
