// A small client of Runway's HTTP API (/api/v1, bearer token, JSON) over node:http and node:https,
// which take a CA of the server's own (--ca-file) beside the system's. Every failure becomes one
// line: the API's status and message, or the URL that could not be reached.
import { request as httpRequest, type IncomingMessage, STATUS_CODES } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { rootCertificates } from 'node:tls';
import { CliError } from './cli-error.js';
import { printable } from './output.js';

/** What the API answers when it refuses: `{ error: { code, message, … } }` (api/error-responses.ts). */
export interface ApiErrorBody {
  code?: string;
  message?: string;
  activeReleaseId?: string;
  requestId?: string;
}

/** The API answered with an error status; the message is the one line the command prints. */
export class ApiError extends CliError {
  constructor(
    readonly status: number,
    readonly body: ApiErrorBody | undefined,
  ) {
    super(describeApiError(status, body));
    this.name = 'ApiError';
  }
}

/** The server could not be reached, or did not answer in time. */
export class ConnectionError extends CliError {
  constructor(
    readonly url: string,
    reason: string,
  ) {
    super(`cannot reach ${url}: ${reason}`);
    this.name = 'ConnectionError';
  }
}

/**
 * "409 Conflict: the gate is closed", with the release in flight when the API names one: one line
 * a terminal prints as it is, whatever the body held (a proxy's HTML page, escape sequences).
 */
export function describeApiError(status: number, body: ApiErrorBody | undefined): string {
  const reason = STATUS_CODES[status] ?? 'Error';
  const message = printable(String(body?.message ?? ''))
    .replace(/\s+/g, ' ')
    .trim();
  const inFlight = body?.activeReleaseId ? ` (in flight: ${printable(String(body.activeReleaseId))})` : '';
  return `${status} ${reason}${message ? `: ${message}` : ''}${inFlight}`;
}

export type Query = Record<string, string | number | boolean | undefined>;

export interface RequestOptions {
  timeoutMs?: number;
  /** Aborting it ends the request at once (Ctrl-C during a watch); the promise rejects with its reason. */
  signal?: AbortSignal;
}

export interface ApiClient {
  /** The server's root URL, as the commands name it in messages. */
  readonly url: string;
  get<T>(path: string, query?: Query, options?: RequestOptions): Promise<T>;
  post<T>(path: string, body: unknown, headers?: Record<string, string>): Promise<T>;
  /** The answer with its status, for routes whose 200 and 201 mean different things. */
  send<T>(
    method: string,
    path: string,
    options?: { query?: Query; body?: unknown; headers?: Record<string, string> } & RequestOptions,
  ): Promise<{ status: number; body: T }>;
}

export interface ApiClientOptions {
  url: string;
  token: string;
  /** PEM of a CA the server's certificate chains to, trusted beside the system's. */
  ca?: string;
  /** How long one request may take; a watch asks again, a health check gives its own. */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 60_000;

/** Node's codes for a certificate that no CA this command trusts vouches for: the fix is --ca-file. */
const UNTRUSTED_CERTIFICATE = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
]);

/** Why the server could not be reached, with what to do about an untrusted certificate. */
function unreachableReason(error: NodeJS.ErrnoException): string {
  const code = error.code ?? error.message;
  if (UNTRUSTED_CERTIFICATE.has(code)) {
    return `its certificate is not signed by a CA this machine trusts (${code}): pass --ca-file with the server's CA, or set RUNWAY_CA_FILE`;
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return `its certificate is not for this host name (${code}): use a URL with a name the certificate lists`;
  }
  return code;
}

function urlFor(root: string, path: string, query: Query = {}): URL {
  const url = new URL(`${root}/api/v1${path}`);
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined) url.searchParams.set(name, String(value));
  }
  return url;
}

function readBody(response: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    response.on('data', (chunk: Buffer) => chunks.push(chunk));
    response.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    response.on('error', reject);
    // Closed before its end (the request aborted, the connection cut): no answer to wait for.
    response.on('close', () => {
      if (!response.complete) reject(new Error('the answer was cut short'));
    });
  });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export function createApiClient(options: ApiClientOptions): ApiClient {
  const ca = options.ca ? [...rootCertificates, options.ca] : undefined;

  async function send<T>(
    method: string,
    path: string,
    call: { query?: Query; body?: unknown; headers?: Record<string, string> } & RequestOptions = {},
  ): Promise<{ status: number; body: T }> {
    const url = urlFor(options.url, path, call.query);
    const payload = call.body === undefined ? undefined : JSON.stringify(call.body);
    const timeoutMs = call.timeoutMs ?? options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      // An aborted request rejects with the abort's reason; any other failure says what was not reached.
      const fail = (error: NodeJS.ErrnoException) =>
        reject(
          call.signal?.aborted
            ? call.signal.reason
            : error instanceof ConnectionError
              ? error
              : new ConnectionError(options.url, unreachableReason(error)),
        );
      const outgoing = request(
        url,
        {
          method,
          ...(ca ? { ca } : {}),
          headers: {
            accept: 'application/json',
            authorization: `Bearer ${options.token}`,
            ...(payload === undefined
              ? {}
              : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }),
            ...call.headers,
          },
          timeout: timeoutMs,
          ...(call.signal ? { signal: call.signal } : {}),
        },
        (response) => {
          readBody(response).then((body) => resolve({ status: response.statusCode ?? 0, text: body }), fail);
        },
      );
      outgoing.on('timeout', () =>
        outgoing.destroy(new ConnectionError(options.url, `no answer within ${timeoutMs / 1000} s`)),
      );
      outgoing.on('error', fail);
      outgoing.end(payload);
    });
    const body = parseJson(text);
    if (status >= 400) {
      const error = (body as { error?: ApiErrorBody } | undefined)?.error;
      throw new ApiError(status, error ?? (text.trim() ? { message: text.slice(0, 200) } : undefined));
    }
    if (body === undefined) {
      throw new CliError(
        `${status} from ${url.origin}${url.pathname} was not JSON: is ${options.url} Runway?`,
      );
    }
    return { status, body: body as T };
  }

  return {
    url: options.url,
    send,
    async get<T>(path: string, query?: Query, call: RequestOptions = {}) {
      return (await send<T>('GET', path, { ...(query ? { query } : {}), ...call })).body;
    },
    async post<T>(path: string, body: unknown, headers?: Record<string, string>) {
      return (await send<T>('POST', path, { body, ...(headers ? { headers } : {}) })).body;
    },
  };
}
