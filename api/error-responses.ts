// One error shape for every failure the API answers, `{ error: { code, message, … } }`, so a client
// (and the CLI) handles errors in one place. Domain errors become statuses here, not in handlers.
import type { Hook } from '@hono/zod-openapi';
import { z } from '@hono/zod-openapi';
import type { Context, ErrorHandler, NotFoundHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { CalendarDataExhausted } from '../calendar/holiday-calendar.js';
import { UnknownEnvironment } from '../calendar/release-calendars.js';
import { CommandValueError } from '../config/command-template.js';
import { isDatabaseUnreachable } from '../db/create-pool.js';
import type { Logger } from '../logging/logger.js';
import { RunbookUnavailable } from '../runbooks/load-runbook.js';
import { PlanError } from '../runbooks/resolve-release-plan.js';
import type { AppEnv } from './app-env.js';
import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  UnavailableError,
  UnprocessableError,
} from './service-errors.js';
import { RateLimitedError } from './start-rate-limit.js';

export const ERROR_CODES = [
  'invalid_request',
  'invalid_release',
  'unauthorized',
  'forbidden',
  'not_found',
  'conflict',
  'method_not_allowed',
  'payload_too_large',
  'unprocessable',
  'unsupported_media_type',
  'too_many_requests',
  'unavailable',
  'internal',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export const IssueSchema = z.object({
  path: z.string().openapi({ description: 'Dotted path of the failing field, e.g. `version`.' }),
  message: z.string(),
});

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.enum(ERROR_CODES),
      message: z.string(),
      issues: z
        .array(IssueSchema)
        .optional()
        .openapi({ description: 'The failing fields (invalid_request).' }),
      activeReleaseId: z
        .string()
        .optional()
        .openapi({ description: 'The release still in flight for this service (conflict).' }),
      requestId: z.string().optional().openapi({ description: 'Quote it when reporting an internal error.' }),
    }),
  })
  .openapi('Error');
type ErrorBody = z.infer<typeof ErrorSchema>['error'];

const errorContent = (description: string) => ({
  description,
  content: { 'application/json': { schema: ErrorSchema } },
});

/** The error responses routes document; each route picks the ones it can answer. */
export const errorResponses = {
  400: errorContent('The request is invalid: `invalid_request` names the failing fields.'),
  401: errorContent('No bearer token, or one that names no identity.'),
  403: errorContent('The identity lacks the role this needs.'),
  404: errorContent('No such release.'),
  409: errorContent('The release is not in a state that allows this.'),
  413: errorContent('The body is over the size limit (64 KiB).'),
  415: errorContent('The body is not sent as application/json.'),
  422: errorContent(
    'Well formed, but it cannot be done: `invalid_release` when it cannot be planned (an unknown service, a version rule), or it contradicts an earlier request (an Idempotency-Key reused for another body).',
  ),
  429: {
    ...errorContent('Too many release starts by this identity; retry after `Retry-After` seconds.'),
    headers: {
      'Retry-After': { schema: { type: 'integer' }, description: 'Seconds until a start is allowed again.' },
    },
  },
  500: errorContent('Unexpected failure; the body carries the request id.'),
  503: errorContent('A dependency (a worker, Temporal, PostgreSQL) did not answer in time; retry later.'),
} as const;

type ErrorStatus = keyof typeof errorResponses;

/** The error responses a route can answer, by status: `...errorResponsesFor(400, 401, 403, 500)`. */
export function errorResponsesFor<const S extends ErrorStatus>(
  ...statuses: S[]
): Pick<typeof errorResponses, S> {
  return Object.fromEntries(statuses.map((status) => [status, errorResponses[status]])) as Pick<
    typeof errorResponses,
    S
  >;
}

/** What a decision a workflow judges can answer: counted (202), or why not. */
export const decisionResponses = (description: string, schema: z.ZodType) => ({
  202: { description, content: { 'application/json': { schema } } },
  ...errorResponsesFor(400, 401, 403, 404, 409, 413, 415, 500, 503),
});

export function errorJson(c: Context<AppEnv>, status: ContentfulStatusCode, body: ErrorBody): Response {
  return c.json({ error: body }, status);
}

const TARGET_NAMES: Partial<Record<string, string>> = { json: 'body', param: 'path', query: 'query' };

type ZodIssue = z.core.$ZodIssue;

/**
 * A union (a start's body, told apart by `type`) fails as a whole; the caller needs the failures of
 * the branch their discriminator chose: the one whose literal fields all matched. When none did,
 * the discriminator alone is wrong, and its allowed values are named.
 */
function chosenBranch(issue: ZodIssue): ZodIssue[] {
  if (issue.code !== 'invalid_union' || issue.errors.length === 0) return [issue];
  const at = (inner: ZodIssue): ZodIssue => ({ ...inner, path: [...issue.path, ...inner.path] });
  const discriminatorMiss = (inner: ZodIssue) => inner.code === 'invalid_value' && inner.path.length === 1;
  const chosen = issue.errors.find((branch) => !branch.some(discriminatorMiss));
  if (chosen) return chosen.map(at).flatMap(chosenBranch);
  const misses = issue.errors.flatMap((branch) => branch.filter(discriminatorMiss));
  const values = misses.flatMap((miss) => (miss.code === 'invalid_value' ? miss.values : [])).map(String);
  const [first] = misses;
  if (!first) return [issue];
  return [{ ...at(first), message: `expected one of ${values.join(', ')}` }];
}

/** The OpenAPIHono default hook: any zod failure (body, query, path) is a 400 naming its fields (R-INPUT). */
export const validationHook: Hook<unknown, AppEnv, string, Response | undefined> = (result, c) => {
  if (result.success) return undefined;
  // An unknown field is named in the path, like any other failing field.
  const issues = result.error.issues.flatMap(chosenBranch).flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({
          path: [...issue.path, key].map(String).join('.'),
          // A schema may say why the field does not belong (a config-change field on another type).
          message: issue.message.startsWith('Unrecognized key')
            ? `unknown field "${key}"`
            : `unknown field "${key}": ${issue.message}`,
        }))
      : [{ path: issue.path.map(String).join('.'), message: issue.message }],
  );
  // The message repeats the issues so that a human reading only the message can act on it.
  const summary = issues.map((issue) => (issue.path ? `${issue.path}: ${issue.message}` : issue.message));
  return errorJson(c, 400, {
    code: 'invalid_request',
    message: `invalid ${TARGET_NAMES[result.target] ?? result.target}: ${summary.join('; ')}`,
    issues,
  });
};

/** Statuses of hono's own exceptions (malformed JSON, wrong media type, body too large). */
const HTTP_EXCEPTION_CODES: Partial<Record<number, ErrorCode>> = {
  400: 'invalid_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
};

/** hono's own messages, made ones a caller can act on. */
function messageOf(error: HTTPException, c: Context<AppEnv>): string {
  if (error.status === 415) {
    const sent = c.req.header('Content-Type');
    return `expected a JSON body with Content-Type: application/json${sent ? `, not ${sent.slice(0, 100)}` : ''}`;
  }
  if (error.status === 400 && /malformed json/i.test(error.message)) {
    return 'malformed JSON in the request body: expected one JSON object';
  }
  return error.message;
}

/** Errors a caller can cause or act on, and the status each one answers. */
const DOMAIN_ERRORS: [new (...args: never[]) => Error, ContentfulStatusCode, ErrorCode][] = [
  // Before PlanError, which it extends: a type without a runbook is well formed but cannot run.
  [RunbookUnavailable, 422, 'unprocessable'],
  // Well formed, but not a release this configuration can plan (an unknown service, a version
  // rule): 422, so that input the OpenAPI document calls valid is never answered 400.
  [PlanError, 422, 'invalid_release'],
  // The schemas refuse such values first; should one slip through, it is still the caller's input.
  [CommandValueError, 400, 'invalid_release'],
  [ForbiddenError, 403, 'forbidden'],
  [NotFoundError, 404, 'not_found'],
  [UnknownEnvironment, 404, 'not_found'],
  [CalendarDataExhausted, 422, 'unprocessable'],
  [UnprocessableError, 422, 'unprocessable'],
  [UnavailableError, 503, 'unavailable'],
];

export function handleError(logger: Logger): ErrorHandler<AppEnv> {
  return (error, c) => {
    const domain = DOMAIN_ERRORS.find(([type]) => error instanceof type);
    if (domain) return errorJson(c, domain[1], { code: domain[2], message: error.message });
    if (error instanceof ConflictError) {
      return errorJson(c, 409, {
        code: 'conflict',
        message: error.message,
        ...(error.activeReleaseId ? { activeReleaseId: error.activeReleaseId } : {}),
      });
    }
    if (isDatabaseUnreachable(error)) {
      logger.warn({ err: String(error), requestId: c.get('requestId') }, 'database unreachable');
      return errorJson(c, 503, {
        code: 'unavailable',
        message: 'the database is not reachable right now; retry later',
      });
    }
    if (error instanceof RateLimitedError) {
      c.header('Retry-After', String(error.retryAfterSeconds));
      return errorJson(c, 429, { code: 'too_many_requests', message: error.message });
    }
    if (error instanceof HTTPException) {
      const code = HTTP_EXCEPTION_CODES[error.status];
      if (code)
        return errorJson(c, error.status as ContentfulStatusCode, { code, message: messageOf(error, c) });
    }
    // Whatever happened stays in the log; the caller gets only the id to find it by.
    const requestId = c.get('requestId');
    logger.error({ err: error, requestId }, 'request failed');
    return errorJson(c, 500, {
      code: 'internal',
      message: `internal error; quote request id ${requestId} when reporting it`,
      requestId,
    });
  };
}

export const notFound: NotFoundHandler<AppEnv> = (c) =>
  errorJson(c, 404, { code: 'not_found', message: `no route for ${c.req.method} ${c.req.path}` });
