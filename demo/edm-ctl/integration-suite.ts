/**
 * A small, real integration suite for the demo services: the checks a release runs against an
 * environment (usually through its proxy), or against one instance, before it lets traffic stay on
 * a new version.
 */

export const DEMO_SERVICES = ['edm-web', 'edm-sender'] as const;
export type DemoService = (typeof DEMO_SERVICES)[number];

export interface IntegrationCheck {
  name: string;
  passed: boolean;
  latencyMs: number;
  detail: string;
}

export interface IntegrationReport {
  passed: boolean;
  checks: IntegrationCheck[];
}

interface Answer {
  status: number;
  body: unknown;
}

interface CheckDefinition {
  name: string;
  path: string;
  /** Null when the answer is right, otherwise what is wrong with it. */
  problemWith(answer: Answer): string | null;
  summary(answer: Answer): string;
}

function field(body: unknown, name: string): unknown {
  return typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[name] : undefined;
}

/** Each service's key function: what its users need from it. */
const KEY_FUNCTIONS: Record<DemoService, CheckDefinition> = {
  'edm-web': {
    name: 'campaigns',
    path: '/api/campaigns',
    problemWith: ({ status, body }) => {
      if (status !== 200) return `GET /api/campaigns answered ${status}`;
      return Array.isArray(body) && body.length > 0 ? null : 'GET /api/campaigns returned no campaigns';
    },
    summary: ({ body }) => `${Array.isArray(body) ? body.length : 0} campaigns listed`,
  },
  'edm-sender': {
    name: 'sends',
    path: '/api/sends',
    problemWith: ({ status, body }) => {
      if (status !== 200) return `GET /api/sends answered ${status}`;
      return Array.isArray(body) ? null : 'GET /api/sends did not return a list';
    },
    summary: ({ body }) => `${Array.isArray(body) ? body.length : 0} sends listed`,
  },
};

function checksFor(expectedVersion: string, service: DemoService): CheckDefinition[] {
  return [
    {
      name: 'health',
      path: '/health',
      problemWith: ({ status, body }) =>
        status === 200 && field(body, 'status') === 'ok'
          ? null
          : `GET /health answered ${status} ${JSON.stringify(body)}`,
      summary: ({ status }) => `GET /health answered ${status}`,
    },
    {
      name: 'version',
      path: '/version',
      problemWith: ({ status, body }) => {
        if (status !== 200) return `GET /version answered ${status}`;
        const actual = field(body, 'version');
        return actual === expectedVersion
          ? null
          : `expected version ${expectedVersion}, found ${String(actual)}`;
      },
      summary: ({ body }) =>
        `running ${expectedVersion} on ${String(field(body, 'colour') ?? field(body, 'instance'))}`,
    },
    KEY_FUNCTIONS[service],
  ];
}

async function fetchAnswer(url: URL, timeoutMs: number): Promise<Answer> {
  const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  const text = await response.text();
  try {
    return { status: response.status, body: JSON.parse(text) };
  } catch {
    return { status: response.status, body: text };
  }
}

function describeRequestFailure(error: unknown, timeoutMs: number): string {
  if ((error as Error).name === 'TimeoutError') return `no answer within ${timeoutMs} ms`;
  const cause = (error as { cause?: { code?: string } }).cause;
  return `request failed: ${cause?.code ?? (error as Error).message}`;
}

async function runCheck(
  serviceUrl: string,
  check: CheckDefinition,
  timeoutMs: number,
): Promise<IntegrationCheck> {
  const started = performance.now();
  let answer: Answer;
  try {
    answer = await fetchAnswer(new URL(check.path, serviceUrl), timeoutMs);
  } catch (error) {
    const latencyMs = Math.round(performance.now() - started);
    return { name: check.name, passed: false, latencyMs, detail: describeRequestFailure(error, timeoutMs) };
  }
  const latencyMs = Math.round(performance.now() - started);
  const problem = check.problemWith(answer);
  return { name: check.name, passed: problem === null, latencyMs, detail: problem ?? check.summary(answer) };
}

/** Checks run one after another so that each latency is the service's alone. */
export async function runIntegrationSuite(
  serviceUrl: string,
  expectedVersion: string,
  timeoutMs: number,
  service: DemoService = 'edm-web',
): Promise<IntegrationReport> {
  const checks: IntegrationCheck[] = [];
  for (const check of checksFor(expectedVersion, service)) {
    checks.push(await runCheck(serviceUrl, check, timeoutMs));
  }
  return { passed: checks.every((check) => check.passed), checks };
}
