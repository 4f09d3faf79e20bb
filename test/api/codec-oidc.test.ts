// The codec endpoint taking the access tokens Temporal Web passes on for its signed-in users
// (TEMPORAL_CODEC_PASS_ACCESS_TOKEN), checked against a real identity provider's discovery document
// and key set served over HTTP on this host.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '@temporalio/client';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { execa } from 'execa';
import { type CryptoKey, exportJWK, exportSPKI, generateKeyPair, type JWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningApi, serveApi } from '../../api/serve-api.js';
import {
  type CodecOidcSettings,
  type RunwayConfig,
  runwaySettingsSchema,
} from '../../config/config-schema.js';
import { createOidcVerifier, OidcKeysUnavailable } from '../../security/oidc-tokens.js';
import { PayloadEncryptionCodec, parsePayloadKeys } from '../../security/payload-codec.js';
import { resolveTemporalCli } from '../../stack/temporal-binaries.js';
import { createDevServerTestEnv, type DevServerTestEnv } from '../support/temporal-test-env.js';
import { auth, createTestApp, type ErrorJson, TOKENS } from './api-test-app.js';

const codec = new PayloadEncryptionCodec(
  parsePayloadKeys(`k1:${Buffer.alloc(32, 9).toString('base64url')}`, 'test payload keys'),
);
const WEB_ORIGIN = 'http://localhost:8233';
const AUDIENCE = 'runway-codec';
const SECRET = { reason: 'marker-0idc rollback rehearsed' };
/** The `sub` each person has at the identity provider. */
const SUBJECTS = { devChen: '00u-dev-chen', qaSun: '00u-qa-sun', stranger: '00u-stranger' };

type App = Awaited<ReturnType<typeof createTestApp>>['app'];
interface JsonPayload {
  metadata: Record<string, string>;
  data: string;
}

interface IdentityProvider {
  issuer: string;
  /** The paths asked for, in order. */
  requests: string[];
  /** While set, the key set answers 500. */
  keysDown: boolean;
  close(): Promise<void>;
}

/** An OpenID provider's two public documents: discovery, and the key set it points to. */
async function startIdentityProvider(keys: JWK[]): Promise<IdentityProvider> {
  const server: Server = createServer((request, response) => {
    provider.requests.push(request.url ?? '');
    const json = (status: number, body: unknown) => {
      response.writeHead(status, { 'Content-Type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    if (request.url === '/.well-known/openid-configuration') {
      json(200, { issuer: provider.issuer, jwks_uri: `${provider.issuer}/jwks.json` });
    } else if (request.url === '/jwks.json') {
      if (provider.keysDown) json(500, { error: 'maintenance' });
      else json(200, { keys });
    } else json(404, {});
  });
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const provider: IdentityProvider = {
    issuer: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests: [],
    keysDown: false,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  return provider;
}

/** An address where nothing listens: a port just released by a server. */
async function deadIssuer(): Promise<string> {
  const provider = await startIdentityProvider([]);
  await provider.close();
  return provider.issuer;
}

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

async function encryptedBody(value: unknown): Promise<string> {
  const [sealed] = await codec.encode([defaultPayloadConverter.toPayload(value) as Payload]);
  const toBase64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
  return JSON.stringify({
    payloads: [
      {
        metadata: Object.fromEntries(
          Object.entries(sealed?.metadata ?? {}).map(([key, bytes]) => [key, toBase64(bytes)]),
        ),
        data: toBase64(sealed?.data ?? new Uint8Array()),
      },
    ],
  });
}

const decodedValue = async (response: Response) => {
  const { payloads } = (await response.json()) as { payloads: JsonPayload[] };
  const [payload] = payloads;
  return defaultPayloadConverter.fromPayload({
    metadata: Object.fromEntries(
      Object.entries(payload?.metadata ?? {}).map(([key, value]) => [key, Buffer.from(value, 'base64')]),
    ),
    data: Buffer.from(payload?.data ?? '', 'base64'),
  });
};

/** A decode request as Temporal Web's browser code makes it, with the user's access token. */
const decodeRequest = async (token: string) => ({
  method: 'POST',
  headers: {
    'Content-Type': 'application/json',
    'X-Namespace': 'default',
    Origin: WEB_ORIGIN,
    ...auth(token),
  },
  body: await encryptedBody(SECRET),
});

/** The identity provider's key pairs: two published, one an outsider's. */
interface Keys {
  rsa: { privateKey: CryptoKey; publicKey: CryptoKey };
  ed: { privateKey: CryptoKey; publicKey: CryptoKey };
  outsider: { privateKey: CryptoKey; publicKey: CryptoKey };
}

async function generateKeys(): Promise<Keys> {
  return {
    rsa: await generateKeyPair('RS256'),
    ed: await generateKeyPair('EdDSA'),
    outsider: await generateKeyPair('RS256'),
  };
}

const publishedKeys = async (keys: Keys): Promise<JWK[]> => [
  { ...(await exportJWK(keys.rsa.publicKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' },
  { ...(await exportJWK(keys.ed.publicKey)), kid: 'ed-1', alg: 'EdDSA', use: 'sig' },
];

interface TokenOptions {
  subject?: string;
  issuer?: string;
  audience?: string;
  /** Seconds from now; negative: already expired. */
  expiresIn?: number | null;
  key?: CryptoKey | Uint8Array;
  alg?: string;
  kid?: string;
  claims?: Record<string, unknown>;
}

/** Every token the tests make, to prove none of them reaches a log line. */
const issued: string[] = [];

function tokenMaker(defaultIssuer: () => string, keys: () => Keys) {
  return async (options: TokenOptions = {}): Promise<string> => {
    const now = Math.floor(Date.now() / 1000);
    const jwt = new SignJWT({ scope: 'openid email', ...options.claims })
      .setProtectedHeader({ alg: options.alg ?? 'RS256', kid: options.kid ?? 'rsa-1', typ: 'at+jwt' })
      .setIssuer(options.issuer ?? defaultIssuer())
      .setAudience(options.audience ?? AUDIENCE)
      .setSubject(options.subject ?? SUBJECTS.devChen)
      .setIssuedAt(now - 600);
    if (options.expiresIn !== null) jwt.setExpirationTime(now + (options.expiresIn ?? 300));
    const token = await jwt.sign(options.key ?? keys().rsa.privateKey);
    issued.push(token);
    return token;
  };
}

/** Gives dev-chen (read in production) and qa-sun (read in TEST only) their subjects. */
const withOidc = (oidc: Partial<CodecOidcSettings> & { issuer: string }) => ({
  payloadCodec: codec,
  codecAccess: 'token' as const,
  configure: (config: RunwayConfig) => {
    config.settings.codec.oidc = { audience: AUDIENCE, identityClaim: 'sub', ...oidc };
    for (const identity of config.settings.identities) {
      if (identity.name === 'dev-chen') identity.oidcSubject = SUBJECTS.devChen;
      if (identity.name === 'qa-sun') identity.oidcSubject = SUBJECTS.qaSun;
    }
  },
});

describe('the codec endpoint with Temporal Web access tokens', () => {
  let provider: IdentityProvider;
  let keys: Keys;
  let app: App;
  let rawLog: string[];
  const token = tokenMaker(
    () => provider.issuer,
    () => keys,
  );

  beforeAll(async () => {
    keys = await generateKeys();
    provider = await startIdentityProvider(await publishedKeys(keys));
    ({ app, rawLog } = await createTestApp(withOidc({ issuer: provider.issuer })));
  });
  afterAll(async () => {
    await provider.close();
  });

  it('decodes for a signed-in user whose identity has read in production', async () => {
    const response = await app.request('/codec/decode', await decodeRequest(await token()));
    expect(response.status).toBe(200);
    expect(response.headers.get('Access-Control-Allow-Origin')).toBe(WEB_ORIGIN);
    expect(await decodedValue(response)).toEqual(SECRET);
  });

  it('finds the keys through discovery once, and keeps them for later requests', async () => {
    for (let request = 0; request < 5; request++) {
      const response = await app.request('/codec/decode', await decodeRequest(await token()));
      expect(response.status).toBe(200);
    }
    expect(provider.requests).toEqual(['/.well-known/openid-configuration', '/jwks.json']);
  });

  it('takes any published key and asymmetric algorithm (EdDSA here), and a little clock skew', async () => {
    const ed = await token({ key: keys.ed.privateKey, alg: 'EdDSA', kid: 'ed-1' });
    expect((await app.request('/codec/decode', await decodeRequest(ed))).status).toBe(200);
    const justExpired = await token({ expiresIn: -10 });
    expect((await app.request('/codec/decode', await decodeRequest(justExpired))).status).toBe(200);
  });

  it('still takes Runway bearer tokens, with the same role check', async () => {
    expect((await app.request('/codec/decode', await decodeRequest(TOKENS.devChen))).status).toBe(200);
    expect((await app.request('/codec/decode', await decodeRequest(TOKENS.qaSun))).status).toBe(403);
    expect((await app.request('/codec/decode', await decodeRequest('not-a-known-token-0000'))).status).toBe(
      401,
    );
  });

  it('answers 403 to a valid token of an identity without read in production', async () => {
    const response = await app.request(
      '/codec/decode',
      await decodeRequest(await token({ subject: SUBJECTS.qaSun })),
    );
    expect(response.status).toBe(403);
    const body = await response.text();
    expect(JSON.parse(body)).toMatchObject({
      error: {
        code: 'forbidden',
        message: 'qa-sun lacks read in production, which decrypting payloads needs',
      },
    });
    expect(body).not.toContain('marker-0idc');
  });

  it('answers 403 to a valid token of someone runway.yml does not name, saying how to add them', async () => {
    const response = await app.request(
      '/codec/decode',
      await decodeRequest(await token({ subject: SUBJECTS.stranger })),
    );
    expect(response.status).toBe(403);
    expect(((await response.json()) as ErrorJson).error.message).toBe(
      `${SUBJECTS.stranger} is no Runway identity: give one identity in runway.yml oidcSubject: ${SUBJECTS.stranger}`,
    );
  });

  const alg = (header: object, claims: object) => `${base64url(header)}.${base64url(claims)}.`;
  const refusals: [string, () => Promise<string>, RegExp][] = [
    ['an expired token', () => token({ expiresIn: -120 }), /has expired/],
    [
      'a token for another audience',
      () => token({ audience: 'temporal-web' }),
      /audience is not runway-codec/,
    ],
    ['a token from another issuer', () => token({ issuer: 'https://idp.example' }), /not issued by http/],
    ['a token without an expiry', () => token({ expiresIn: null }), /no "exp" claim/],
    [
      'a token signed by a key the provider does not publish',
      () => token({ key: keys.outsider.privateKey, kid: 'outsider' }),
      /signature does not verify/,
    ],
    [
      "a token signed by another key under the provider's key id",
      () => token({ key: keys.outsider.privateKey }),
      /signature does not verify/,
    ],
    [
      'an unsigned token (alg none)',
      async () => {
        const now = Math.floor(Date.now() / 1000);
        const unsigned = alg(
          { alg: 'none', typ: 'JWT' },
          { iss: provider.issuer, aud: AUDIENCE, sub: SUBJECTS.devChen, exp: now + 300 },
        );
        issued.push(unsigned);
        return unsigned;
      },
      /algorithm is not accepted/,
    ],
    [
      "an HS256 token keyed with the provider's public key",
      async () =>
        token({ alg: 'HS256', key: new TextEncoder().encode(await exportSPKI(keys.rsa.publicKey)) }),
      /algorithm is not accepted/,
    ],
    ['garbage shaped like a JWT', async () => 'garbage.garbage.garbage', /not a well-formed JWT/],
  ];

  it.each(refusals)('answers 401 to %s, saying why', async (_what, make, reason) => {
    const response = await app.request('/codec/decode', await decodeRequest(await make()));
    expect(response.status).toBe(401);
    expect(response.headers.get('WWW-Authenticate')).toBe('Bearer realm="runway", error="invalid_token"');
    // A refusal the browser can read, not a CORS failure.
    expect(response.headers.get('Access-Control-Allow-Origin')).toBe(WEB_ORIGIN);
    const error = ((await response.json()) as ErrorJson).error;
    expect(error.code).toBe('unauthorized');
    expect(error.message).toMatch(/^the access token was refused: /);
    expect(error.message).toMatch(reason);
  });

  it('matches another claim when identityClaim names it, and refuses tokens without it', async () => {
    const byEmail = createOidcVerifier(
      { issuer: provider.issuer, audience: AUDIENCE, identityClaim: 'email' },
      [{ name: 'dev-chen', oidcSubject: 'chen@example.com' }],
    );
    expect(await byEmail.identify(await token({ claims: { email: 'chen@example.com' } }))).toEqual({
      identity: 'dev-chen',
      subject: 'chen@example.com',
    });
    await expect(byEmail.identify(await token())).rejects.toThrow(
      'the access token was refused: it has no "email" claim',
    );
    await expect(byEmail.identify(await token({ claims: { email: ['chen@example.com'] } }))).rejects.toThrow(
      'the access token was refused: its "email" claim is not a string',
    );
  });

  it('never writes a token to the log', () => {
    expect(issued.length).toBeGreaterThan(10);
    const log = rawLog.join('\n');
    expect(log).toContain('/codec/decode');
    for (const each of issued) {
      expect(log).not.toContain(each);
      // The signature part alone would be enough to recognise a leak.
      expect(log).not.toContain(each.split('.')[2] || each);
    }
  });
});

describe('the codec endpoint when the identity provider cannot be reached', () => {
  let provider: IdentityProvider;
  let keys: Keys;
  const token = tokenMaker(
    () => provider.issuer,
    () => keys,
  );

  beforeAll(async () => {
    keys = await generateKeys();
    provider = await startIdentityProvider(await publishedKeys(keys));
  });
  afterAll(async () => {
    await provider.close();
  });

  it('answers 503 with Retry-After when nothing listens at the issuer, and says where it looked', async () => {
    const issuer = await deadIssuer();
    const { app } = await createTestApp(withOidc({ issuer }));
    const response = await app.request('/codec/decode', await decodeRequest(await token({ issuer })));
    expect(response.status).toBe(503);
    expect(response.headers.get('Retry-After')).toBe('30');
    const error = ((await response.json()) as ErrorJson).error;
    expect(error.code).toBe('unavailable');
    expect(error.message).toBe(
      `cannot check the access token now: cannot read ${issuer}/.well-known/openid-configuration: ECONNREFUSED`,
    );
  });

  it('answers 503 while the key set fails, and decodes once it is back (nothing failed is cached)', async () => {
    const { app } = await createTestApp(
      withOidc({ issuer: provider.issuer, jwksUrl: `${provider.issuer}/jwks.json` }),
    );
    provider.keysDown = true;
    const down = await app.request('/codec/decode', await decodeRequest(await token()));
    expect(down.status).toBe(503);
    expect(((await down.json()) as ErrorJson).error.message).toMatch(
      new RegExp(`cannot read the signing keys at ${provider.issuer}/jwks.json: `),
    );
    provider.keysDown = false;
    const back = await app.request('/codec/decode', await decodeRequest(await token()));
    expect(back.status).toBe(200);
    // With jwksUrl configured, discovery is never asked.
    expect(provider.requests).toEqual(['/jwks.json', '/jwks.json']);
  });

  it('gives up on a provider that does not answer within the timeout', async () => {
    const silent = createServer(() => {
      // Holds every request open: a provider that hangs.
    });
    silent.listen(0, '127.0.0.1');
    await new Promise((resolve) => silent.once('listening', resolve));
    const issuer = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    try {
      const verifier = createOidcVerifier({ issuer, audience: AUDIENCE, identityClaim: 'sub' }, [], {
        timeoutMs: 200,
      });
      const started = performance.now();
      const failure = await verifier.identify(await token({ issuer })).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(OidcKeysUnavailable);
      expect((failure as Error).message).toMatch(/openid-configuration: timed out$/);
      expect(performance.now() - started).toBeLessThan(2_000);
    } finally {
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});

describe('codec.oidc in runway.yml', () => {
  const settings = (codec: unknown, identities: unknown[] = [{ name: 'dev-chen', tokenEnv: 'T' }]) =>
    runwaySettingsSchema.safeParse({
      api: {},
      temporal: { address: 'localhost:7233', webUrl: WEB_ORIGIN },
      database: { urlEnv: 'DB' },
      codec,
      identities,
    });

  it('takes an issuer and an audience, matching the `sub` claim unless told otherwise', () => {
    const parsed = settings({
      access: 'token',
      oidc: { issuer: 'https://idp.example/realms/ops', audience: 'runway' },
    });
    expect(parsed.success && parsed.data.codec.oidc).toEqual({
      issuer: 'https://idp.example/realms/ops',
      audience: 'runway',
      identityClaim: 'sub',
    });
  });

  it('refuses key sources over plain http, except on this host', () => {
    const remote = settings({ oidc: { issuer: 'http://idp.example', audience: 'runway' } });
    expect(remote.success).toBe(false);
    expect(remote.error?.issues[0]?.message).toBe('expected an https URL (plain http only for localhost)');
    const jwks = settings({
      oidc: { issuer: 'https://idp.example', audience: 'runway', jwksUrl: 'http://idp.example/keys' },
    });
    expect(jwks.success).toBe(false);
    expect(
      settings({ oidc: { issuer: 'http://localhost:8080/realms/ops', audience: 'runway' } }).success,
    ).toBe(true);
  });

  it('refuses two identities with the same oidcSubject', () => {
    const parsed = settings({ access: 'token' }, [
      { name: 'dev-chen', tokenEnv: 'A', oidcSubject: 'chen@example.com' },
      { name: 'qa-sun', tokenEnv: 'B', oidcSubject: 'chen@example.com' },
    ]);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.message).toMatch(/same oidcSubject/);
  });
});

describe('the Temporal CLI reading a history through the codec endpoint', () => {
  let provider: IdentityProvider;
  let keys: Keys;
  let temporal: DevServerTestEnv;
  let api: RunningApi;
  let client: Client;
  let logLines: Record<string, unknown>[];
  const workflowId = 'codec-oidc-cli';
  const token = tokenMaker(
    () => provider.issuer,
    () => keys,
  );

  beforeAll(async () => {
    keys = await generateKeys();
    provider = await startIdentityProvider(await publishedKeys(keys));
    temporal = await createDevServerTestEnv();
    const built = await createTestApp(withOidc({ issuer: provider.issuer }));
    logLines = built.logLines;
    api = await serveApi(built.app, 0);
    client = new Client({
      connection: temporal.env.connection,
      namespace: temporal.server.namespace,
      dataConverter: { payloadCodecs: [codec] },
    });
    // No worker: the started event, with its encrypted input, is all the history needs.
    await client.workflow.start('releaseWorkflow', {
      taskQueue: 'codec-oidc-cli',
      workflowId,
      args: [SECRET],
    });
  }, 120_000);
  afterAll(async () => {
    await api?.close();
    await temporal?.teardown();
    await provider?.close();
  });

  /** The started event's input, as the CLI prints it (after the codec, if it could decode). */
  const show = async (authorization: string) => {
    const result = await execa(
      resolveTemporalCli() ?? 'temporal',
      [
        'workflow',
        'show',
        '--workflow-id',
        workflowId,
        '--address',
        temporal.server.address,
        '--namespace',
        temporal.server.namespace,
        '--codec-endpoint',
        `${api.url}/codec`,
        '--codec-auth',
        authorization,
        '--output',
        'json',
        // The CLI keeps asking a codec that refuses until this runs out.
        '--command-timeout',
        '3s',
      ],
      { reject: false },
    );
    if (result.exitCode !== 0) return { failed: result.stderr.trim() };
    const history = JSON.parse(result.stdout) as {
      events: { workflowExecutionStartedEventAttributes?: { input: { payloads: JsonPayload[] } } }[];
    };
    const [payload] = history.events[0]?.workflowExecutionStartedEventAttributes?.input.payloads ?? [];
    return { input: payload };
  };

  it('decodes with the access token of a reader of production, and with a Runway token', async () => {
    for (const bearer of [await token(), TOKENS.devChen]) {
      const { input, failed } = await show(`Bearer ${bearer}`);
      expect(failed).toBeUndefined();
      expect(Buffer.from(input?.metadata.encoding ?? '', 'base64').toString()).toBe('json/plain');
      expect(JSON.parse(Buffer.from(input?.data ?? '', 'base64').toString())).toEqual(SECRET);
    }
  });

  it('shows nothing in clear to a signed-in user without read in production', async () => {
    const { input, failed } = await show(`Bearer ${await token({ subject: SUBJECTS.qaSun })}`);
    expect(input).toBeUndefined();
    expect(failed).toMatch(/Error: /);
    expect(failed).not.toContain('marker-0idc');
    // Refused by the role check, not lost on the way.
    const answers = logLines.filter((line) => line.path === '/codec/decode').map((line) => line.status);
    expect(answers).toContain(403);
    expect(answers.filter((status) => status !== 200 && status !== 403)).toEqual([]);
  });
});
