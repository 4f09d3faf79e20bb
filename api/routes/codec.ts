// The remote codec Temporal Web calls to show encrypted payloads in clear (Temporal's codec server
// protocol: POST {endpoint}/decode and /encode with `{"payloads": [{metadata, data}]}`, bytes in
// base64, the namespace in X-Namespace). Outside /api/v1: it speaks Temporal's protocol, not
// Runway's, and the browser calls it from Temporal Web's origin, so it carries its own CORS and
// access rules.
import type { PayloadCodec } from '@temporalio/common';
import { Hono, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { z } from 'zod';
import type { RunwayConfig } from '../../config/config-schema.js';
import { createOidcVerifier } from '../../security/oidc-tokens.js';
import { PayloadDecryptionError } from '../../security/payload-codec.js';
import type { AppEnv } from '../app-env.js';
import { errorJson } from '../error-responses.js';
import { codecAuth } from '../middleware/codec-auth.js';
import { requireRole } from '../middleware/require-role.js';

export type CodecAccess = RunwayConfig['settings']['codec']['access'];

/** Decrypting production's releases is reading them: the role, in that environment, it takes. */
export const CODEC_READ_ENVIRONMENT = 'production';

/** Temporal caps a payload at 2 MB; Temporal Web sends an event's payloads together. */
const MAX_CODEC_BODY_BYTES = 8 * 1024 * 1024;
const MAX_PAYLOADS = 1_000;

const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'expected base64');
const CodecBodySchema = z.strictObject({
  payloads: z
    .array(
      z.strictObject({
        metadata: z.record(z.string(), base64).nullish(),
        data: base64.nullish(),
      }),
    )
    .max(MAX_PAYLOADS),
});
type JsonPayload = z.infer<typeof CodecBodySchema>['payloads'][number];

const fromJson = ({ metadata, data }: JsonPayload) => ({
  metadata: Object.fromEntries(
    Object.entries(metadata ?? {}).map(([key, value]) => [key, Buffer.from(value, 'base64')]),
  ),
  data: Buffer.from(data ?? '', 'base64'),
});

const toJson = ({
  metadata,
  data,
}: {
  metadata?: Record<string, Uint8Array> | null;
  data?: Uint8Array | null;
}) => ({
  metadata: Object.fromEntries(
    Object.entries(metadata ?? {}).map(([key, value]) => [key, Buffer.from(value).toString('base64')]),
  ),
  data: Buffer.from(data ?? new Uint8Array()).toString('base64'),
});

export interface CodecRouteOptions {
  codec: PayloadCodec;
  config: RunwayConfig;
  /** token → identity name, as for the API. */
  tokens: Map<string, string>;
}

/**
 * The origins Temporal Web is served from. A loopback web URL admits every loopback spelling of
 * it (localhost, 127.0.0.1, [::1]), since an engineer may type any of them.
 */
export function temporalWebOrigins(webUrl: string): string[] {
  const url = new URL(webUrl);
  const loopback = ['localhost', '127.0.0.1', '[::1]'];
  if (!loopback.includes(url.hostname)) return [url.origin];
  return loopback.map((host) => `${url.protocol}//${host}${url.port ? `:${url.port}` : ''}`);
}

function onlyFromOrigins(origins: string[]): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const origin = c.req.header('Origin');
    if (!origin || !origins.includes(origin)) {
      return errorJson(c, 403, {
        code: 'forbidden',
        message: `the codec endpoint is open only to Temporal Web at ${origins[0]} (Origin ${origin ?? 'missing'})`,
      });
    }
    await next();
  };
}

function readerOf(environment: string): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const principal = c.get('principal');
    if (!principal.rolesIn(environment).includes('read')) {
      return errorJson(c, 403, {
        code: 'forbidden',
        message: `${principal.name} lacks read in ${environment}, which decrypting payloads needs`,
      });
    }
    await next();
  };
}

/** Parses the body as the codec protocol has it; anything else is a 400 that says what was wrong. */
async function payloadsOf(c: Parameters<MiddlewareHandler<AppEnv>>[0]) {
  const body = await c.req.json().catch(() => undefined);
  const parsed = CodecBodySchema.safeParse(body);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => ({
      path: issue.path.map(String).join('.'),
      message: issue.message,
    }));
    const message =
      body === undefined
        ? 'the body must be JSON: {"payloads": [{"metadata": {…}, "data": "<base64>"}]}'
        : `invalid body: ${issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ')}`;
    return { error: errorJson(c, 400, { code: 'invalid_request', message, issues }) };
  }
  return { payloads: parsed.data.payloads.map(fromJson) };
}

/** Temporal Web's signed-in users, when runway.yml names their identity provider. */
function oidcVerifier(config: RunwayConfig) {
  const settings = config.settings.codec.oidc;
  return settings ? createOidcVerifier(settings, config.settings.identities) : undefined;
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/**
 * local-open decrypts for anyone who sends Temporal Web's Origin, which only a browser cannot fake:
 * it is safe only where both Temporal Web and the API are on this machine (the dev stack). Anywhere
 * else it would hand every payload to whoever reaches the port, so Runway refuses to start with it.
 */
export function assertCodecAccessSafe(config: RunwayConfig, listenHost: string): void {
  if (config.settings.codec.access !== 'local-open') return;
  const webHost = new URL(config.settings.temporal.webUrl).hostname;
  if (!LOOPBACK_HOSTS.has(webHost) || !LOOPBACK_HOSTS.has(listenHost)) {
    throw new Error(
      `codec.access local-open decrypts payloads without a token: it is only for a local stack, with Temporal Web and the API on loopback (Temporal Web ${webHost}, API listening on ${listenHost}); use codec.access token`,
    );
  }
}

export function codecRoutes(options: CodecRouteOptions): Hono<AppEnv> {
  const { config, codec } = options;
  const access: CodecAccess = config.settings.codec.access;
  // The app does not know where it will listen; the local stack always binds loopback. A process
  // that listens elsewhere checks again with its real address (api/main.ts).
  assertCodecAccessSafe(config, '127.0.0.1');
  const namespace = config.settings.temporal.namespace;
  const origins = temporalWebOrigins(config.settings.temporal.webUrl);
  const router = new Hono<AppEnv>();

  // First, so that refusals reach the browser as refusals rather than as CORS errors.
  router.use(
    '*',
    cors({
      origin: origins,
      allowMethods: ['POST', 'OPTIONS'],
      allowHeaders: ['content-type', 'x-namespace', 'authorization'],
      // Temporal Web behind an authenticating proxy may send its session cookie along.
      credentials: access === 'token',
      maxAge: 600,
    }),
  );
  router.use(
    '*',
    bodyLimit({
      maxSize: MAX_CODEC_BODY_BYTES,
      onError: (c) =>
        errorJson(c, 413, {
          code: 'payload_too_large',
          message: `codec requests are limited to ${MAX_CODEC_BODY_BYTES} bytes`,
        }),
    }),
  );
  const authenticate = codecAuth({ tokens: options.tokens, config, oidc: oidcVerifier(config) });
  const guard = (furtherCheck: string): MiddlewareHandler<AppEnv>[] =>
    access === 'local-open'
      ? [requireRole('public'), onlyFromOrigins(origins)]
      : [authenticate, requireRole('read', furtherCheck), readerOf(CODEC_READ_ENVIRONMENT)];
  const furtherChecks = {
    '/decode': `read in ${CODEC_READ_ENVIRONMENT}; the token is a Runway token or, with codec.oidc, the access token Temporal Web passes on`,
    '/encode': 'always refused: changes to releases go through the API',
  };

  const rightNamespace: MiddlewareHandler<AppEnv> = async (c, next) => {
    const asked = c.req.header('X-Namespace');
    if (asked !== undefined && asked !== namespace) {
      return errorJson(c, 400, {
        code: 'invalid_request',
        message: `this codec endpoint serves namespace ${namespace}, not ${asked}`,
      });
    }
    await next();
  };

  // Registered on the exact paths, so the route table reads the role each one declares.
  for (const [path, furtherCheck] of Object.entries(furtherChecks)) {
    router.use(path, ...guard(furtherCheck), rightNamespace);
  }

  router.post('/decode', async (c) => {
    const { payloads, error } = await payloadsOf(c);
    if (error) return error;
    try {
      return c.json({ payloads: (await codec.decode(payloads)).map(toJson) });
    } catch (failure) {
      if (!(failure instanceof PayloadDecryptionError)) throw failure;
      return errorJson(c, 422, { code: 'unprocessable', message: failure.message });
    }
  });

  router.post('/encode', (c) =>
    // Encoding mints payloads sealed with Runway's key, which the workers would take for Runway's
    // own: in no access mode does anyone get that from here. Temporal Web needs it only for its write
    // actions (signal, reset, start), and every change to a release goes through Runway's API.
    errorJson(c, 403, {
      code: 'forbidden',
      message: 'this codec endpoint does not encode: changes to releases go through the Runway API',
    }),
  );

  return router;
}
