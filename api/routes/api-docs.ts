// The OpenAPI document and its Swagger UI, both public: they describe the API, they hold no data.

import { swaggerUI } from '@hono/swagger-ui';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { RunwayConfig } from '../../config/config-schema.js';
import type { AppEnv } from '../app-env.js';

export const OPENAPI_PATH = '/openapi.json';
/** The version of the API's contract, which the /api/v1 prefix carries too; not the package version. */
const API_VERSION = '1.0.0';

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

/**
 * An OpenAPI link: how a client (or a stateful fuzzer) goes from one response to the next
 * operation, with runtime expressions such as `$response.body#/id` for its parameters.
 */
export interface ApiLink {
  from: { method: Method; path: string; status: string };
  name: string;
  to: { method: Method; path: string };
  parameters: Record<string, string>;
  description: string;
}

const RELEASES = '/api/v1/releases';
const RELEASE = `${RELEASES}/{id}`;
const GET_RELEASE = { method: 'get', path: RELEASE } as const;
const DECIDE = { method: 'post', path: `${RELEASE}/approvals` } as const;
const OVERRIDE = { method: 'post', path: `${RELEASE}/window-override` } as const;
const ROLLBACK = { method: 'post', path: `${RELEASE}/rollback` } as const;
const ABORT = { method: 'post', path: `${RELEASE}/abort` } as const;
const DECIDE_FAILURE = { method: 'post', path: `${RELEASE}/decision` } as const;
const CONFIRM = { method: 'post', path: `${RELEASE}/confirmations` } as const;
const POSTMORTEM = { method: 'post', path: `${RELEASE}/postmortem` } as const;
const STARTED = { method: 'post', path: RELEASES, status: '201' } as const;
const READ = { method: 'get', path: RELEASE, status: '200' } as const;
const BODY_ID = { id: '$response.body#/id' };

/** What can be done to a release once it exists, from its id: linked from its start and its page. */
const RELEASE_ACTIONS = [
  { name: 'DecideApproval', to: DECIDE, description: 'Decide its approval gate.' },
  { name: 'OverrideWindow', to: OVERRIDE, description: 'Override its window.' },
  { name: 'OrderRollback', to: ROLLBACK, description: 'Roll it back.' },
  { name: 'OrderAbort', to: ABORT, description: 'Abort it.' },
  { name: 'DecideFailure', to: DECIDE_FAILURE, description: 'Decide the failure it waits at.' },
  { name: 'ConfirmChecklistItem', to: CONFIRM, description: 'Confirm the checklist item it waits at.' },
  { name: 'AttachPostmortem', to: POSTMORTEM, description: 'Attach the documentation it owes.' },
] as const;

/** After a decision or an order was counted: the release it was counted for. */
const COUNTED_FOR = [
  { from: DECIDE, description: 'The release the decision was counted for.' },
  { from: OVERRIDE, description: 'The release the confirmation was counted for.' },
  { from: ROLLBACK, description: 'The release the rollback was ordered for.' },
  { from: ABORT, description: 'The release the abort was ordered for.' },
  { from: DECIDE_FAILURE, description: 'The release the decision was counted for.' },
  { from: CONFIRM, description: 'The release the checklist item was confirmed for.' },
  { from: POSTMORTEM, description: 'The release the documentation was attached to.' },
] as const;

/**
 * Where a release leads once it exists: its page, its gates, its orders.
 * Endpoints that act on one release add their rows here, so clients and the fuzzer find them.
 */
export const API_LINKS: readonly ApiLink[] = [
  {
    from: STARTED,
    name: 'GetRelease',
    to: GET_RELEASE,
    parameters: BODY_ID,
    description: 'The release just started.',
  },
  ...[STARTED, READ].flatMap((from) =>
    RELEASE_ACTIONS.map((action) => ({ from, ...action, parameters: BODY_ID })),
  ),
  {
    from: { method: 'get', path: RELEASES, status: '200' },
    name: 'GetNewestRelease',
    to: GET_RELEASE,
    parameters: { id: '$response.body#/releases/0/id' },
    description: 'The newest release of the list.',
  },
  {
    from: READ,
    name: 'GetServiceEnvironment',
    to: { method: 'get', path: '/api/v1/services/{service}/environments/{environment}' },
    parameters: { service: '$response.body#/service', environment: '$response.body#/environments/0' },
    description:
      "What the release's service runs in the first environment it touches, and which release put it there.",
  },
  ...COUNTED_FOR.map(({ from, description }) => ({
    from: { ...from, status: '202' },
    name: 'GetRelease',
    to: GET_RELEASE,
    parameters: { id: '$request.path.id' },
    description,
  })),
];

interface OpenApiDocument {
  paths?: Record<string, Record<string, { responses?: Record<string, { links?: Record<string, unknown> }> }>>;
}

/** A JSON pointer to an operation, the form `operationRef` takes: `/` in the path becomes `~1`. */
export function operationRef(method: Method, path: string): string {
  return `#/paths/${path.replaceAll('~', '~0').replaceAll('/', '~1')}/${method}`;
}

/**
 * Adds the links to a generated document. A link whose ends are missing from the document is a
 * programming error (a route renamed, a status dropped): it throws, and the docs test fails.
 */
export function addLinks<T extends object>(generated: T, links: readonly ApiLink[] = API_LINKS): T {
  const document = generated as OpenApiDocument;
  for (const link of links) {
    const response = document.paths?.[link.from.path]?.[link.from.method]?.responses?.[link.from.status];
    if (!response) {
      throw new Error(
        `OpenAPI link ${link.name}: no ${link.from.status} response on ${link.from.method.toUpperCase()} ${link.from.path}`,
      );
    }
    if (!document.paths?.[link.to.path]?.[link.to.method]) {
      throw new Error(
        `OpenAPI link ${link.name}: no operation ${link.to.method.toUpperCase()} ${link.to.path}`,
      );
    }
    response.links = {
      ...response.links,
      [link.name]: {
        operationRef: operationRef(link.to.method, link.to.path),
        parameters: link.parameters,
        description: link.description,
      },
    };
  }
  return generated;
}

/** Mounted on the root app last, so the document holds every route the sub-apps brought in. */
export function addApiDocs(app: OpenAPIHono<AppEnv>, config: RunwayConfig): void {
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    description: 'A token from the environment variable runway.yml names for the identity.',
  });
  const { publicUrl } = config.settings.api;
  const objectConfig = {
    openapi: '3.1.0',
    info: {
      title: 'Runway API',
      version: API_VERSION,
      description:
        'Durable release runbooks on Temporal: start, watch, approve, roll back and abort releases, and decide their failures.',
    },
    ...(publicUrl ? { servers: [{ url: publicUrl }] } : {}),
    tags: [
      {
        name: 'releases',
        description: 'Releases, their approval gates, rollbacks, aborts and guided failures.',
      },
      { name: 'services', description: 'What services run in each environment, as their targets say.' },
      { name: 'health', description: 'Liveness and readiness probes.' },
    ],
  };
  // The routes are all registered by the time the first request comes: build the document once.
  let document: ReturnType<typeof app.getOpenAPI31Document> | undefined;
  app.get(OPENAPI_PATH, (c) => {
    document ??= addLinks(app.getOpenAPI31Document(objectConfig));
    return c.json(document);
  });
  app.get('/docs', swaggerUI({ url: OPENAPI_PATH, title: 'Runway API' }));
}
