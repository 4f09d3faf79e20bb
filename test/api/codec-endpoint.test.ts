// The codec endpoint Temporal Web calls to decrypt payloads: Temporal's remote codec protocol, its
// CORS, and who may use it in each access mode.
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { beforeAll, describe, expect, it } from 'vitest';
import { assertCodecAccessSafe } from '../../api/routes/codec.js';
import { PayloadEncryptionCodec, parsePayloadKeys } from '../../security/payload-codec.js';
import { auth, createTestApp, type ErrorJson, TOKENS } from './api-test-app.js';

const codec = new PayloadEncryptionCodec(
  parsePayloadKeys(`k1:${Buffer.alloc(32, 5).toString('base64url')}`, 'test payload keys'),
);
const WEB_ORIGIN = 'http://localhost:8233';
const SECRET = { comment: 'marker-c0dec approved after the load test' };

type App = Awaited<ReturnType<typeof createTestApp>>['app'];
interface JsonPayload {
  metadata: Record<string, string>;
  data: string;
}

const toJson = (payload: Payload): JsonPayload => ({
  metadata: Object.fromEntries(
    Object.entries(payload.metadata ?? {}).map(([key, value]) => [
      key,
      Buffer.from(value).toString('base64'),
    ]),
  ),
  data: Buffer.from(payload.data ?? []).toString('base64'),
});
const plainValue = (payload: JsonPayload | undefined) =>
  defaultPayloadConverter.fromPayload({
    metadata: Object.fromEntries(
      Object.entries(payload?.metadata ?? {}).map(([key, value]) => [key, Buffer.from(value, 'base64')]),
    ),
    data: Buffer.from(payload?.data ?? '', 'base64'),
  });

async function encryptedBody(...values: unknown[]): Promise<string> {
  const encoded = await codec.encode(
    values.map((value) => defaultPayloadConverter.toPayload(value) as Payload),
  );
  return JSON.stringify({ payloads: encoded.map(toJson) });
}

/** A request as Temporal Web's browser code makes it. */
const fromTemporalWeb = (body: string, headers: Record<string, string> = {}, origin = WEB_ORIGIN) => ({
  method: 'POST',
  headers: { 'Content-Type': 'application/json', 'X-Namespace': 'default', Origin: origin, ...headers },
  body,
});

describe('the codec endpoint with token access (production)', () => {
  let app: App;
  beforeAll(async () => {
    ({ app } = await createTestApp({ payloadCodec: codec, codecAccess: 'token' }));
  });

  it('decodes for an identity with read in production, passing unencrypted payloads through', async () => {
    const plain = toJson(defaultPayloadConverter.toPayload('recorded before encryption') as Payload);
    const sealed = JSON.parse(await encryptedBody(SECRET)) as { payloads: JsonPayload[] };
    const response = await app.request(
      '/codec/decode',
      fromTemporalWeb(JSON.stringify({ payloads: [...sealed.payloads, plain] }), auth(TOKENS.devChen)),
    );
    expect(response.status).toBe(200);
    expect(response.headers.get('Access-Control-Allow-Origin')).toBe(WEB_ORIGIN);
    const { payloads } = (await response.json()) as { payloads: JsonPayload[] };
    expect(payloads).toHaveLength(2);
    expect(Buffer.from(payloads[0]?.metadata.encoding ?? '', 'base64').toString()).toBe('json/plain');
    expect(plainValue(payloads[0])).toEqual(SECRET);
    expect(payloads[1]).toEqual(plain);
  });

  it('answers 401 without a token or with an unknown one, with CORS headers so the browser sees it', async () => {
    const body = await encryptedBody(SECRET);
    const none = await app.request('/codec/decode', fromTemporalWeb(body));
    expect(none.status).toBe(401);
    expect(none.headers.get('Access-Control-Allow-Origin')).toBe(WEB_ORIGIN);
    expect(none.headers.get('WWW-Authenticate')).toMatch(/^Bearer /);
    expect(((await none.json()) as ErrorJson).error.code).toBe('unauthorized');
    const unknown = await app.request('/codec/decode', fromTemporalWeb(body, auth('not-a-known-token-0000')));
    expect(unknown.status).toBe(401);
  });

  it('answers 403 to a token without read in production, and to one with no role at all', async () => {
    const body = await encryptedBody(SECRET);
    const testReader = await app.request('/codec/decode', fromTemporalWeb(body, auth(TOKENS.qaSun)));
    expect(testReader.status).toBe(403);
    const refusal = (await testReader.json()) as ErrorJson;
    expect(refusal.error.message).toBe('qa-sun lacks read in production, which decrypting payloads needs');
    expect(JSON.stringify(refusal)).not.toContain('marker-c0dec');
    const nobody = await app.request('/codec/decode', fromTemporalWeb(body, auth(TOKENS.nobody)));
    expect(nobody.status).toBe(403);
  });

  it('does not encode: changes go through the API', async () => {
    const body = JSON.stringify({ payloads: [toJson(defaultPayloadConverter.toPayload('x') as Payload)] });
    const response = await app.request('/codec/encode', fromTemporalWeb(body, auth(TOKENS.opsWang)));
    expect(response.status).toBe(403);
    expect(((await response.json()) as ErrorJson).error.message).toMatch(/does not encode/);
    expect((await app.request('/codec/encode', fromTemporalWeb(body))).status).toBe(401);
  });

  it('answers the CORS preflight for Temporal Web only', async () => {
    const preflight = (origin: string) =>
      app.request('/codec/decode', {
        method: 'OPTIONS',
        headers: {
          Origin: origin,
          'Access-Control-Request-Method': 'POST',
          'Access-Control-Request-Headers': 'content-type,x-namespace,authorization',
        },
      });
    const web = await preflight(WEB_ORIGIN);
    expect(web.status).toBe(204);
    expect(web.headers.get('Access-Control-Allow-Origin')).toBe(WEB_ORIGIN);
    expect(web.headers.get('Access-Control-Allow-Headers')?.toLowerCase().split(',')).toEqual(
      expect.arrayContaining(['content-type', 'x-namespace', 'authorization']),
    );
    expect(web.headers.get('Access-Control-Allow-Methods')).toContain('POST');
    expect(web.headers.get('Access-Control-Allow-Credentials')).toBe('true');
    const elsewhere = await preflight('https://evil.example');
    expect(elsewhere.headers.get('Access-Control-Allow-Origin')).toBeNull();
  });

  it.each([
    ['not JSON', '{"payloads": [', /must be JSON/],
    ['no payloads', '{}', /payloads/],
    ['data that is not base64', '{"payloads":[{"metadata":{},"data":"%%%"}]}', /expected base64/],
    ['an unknown field', '{"payloads":[],"extra":1}', /extra/],
  ])('answers 400 to a body with %s', async (_what, body, message) => {
    const response = await app.request('/codec/decode', fromTemporalWeb(body, auth(TOKENS.devChen)));
    expect(response.status).toBe(400);
    const error = ((await response.json()) as ErrorJson).error;
    expect(error.code).toBe('invalid_request');
    expect(error.message).toMatch(message);
  });

  it('answers 400 for another namespace and 422 for a payload it cannot open', async () => {
    const body = await encryptedBody(SECRET);
    const other = await app.request(
      '/codec/decode',
      fromTemporalWeb(body, { ...auth(TOKENS.devChen), 'X-Namespace': 'payments' }),
    );
    expect(other.status).toBe(400);
    expect(((await other.json()) as ErrorJson).error.message).toMatch(
      /serves namespace default, not payments/,
    );
    const tampered = JSON.parse(body) as { payloads: JsonPayload[] };
    const bytes = Buffer.from(tampered.payloads[0]?.data ?? '', 'base64');
    bytes[15] = (bytes[15] ?? 0) ^ 1;
    (tampered.payloads[0] as JsonPayload).data = bytes.toString('base64');
    const response = await app.request(
      '/codec/decode',
      fromTemporalWeb(JSON.stringify(tampered), auth(TOKENS.devChen)),
    );
    expect(response.status).toBe(422);
    expect(((await response.json()) as ErrorJson).error.message).toMatch(/integrity check/);
  });
});

describe('the codec endpoint with local-open access (npm start)', () => {
  let app: App;
  beforeAll(async () => {
    ({ app } = await createTestApp({ payloadCodec: codec, codecAccess: 'local-open' }));
  });

  it('cannot be used beyond this machine: a remote Temporal Web or an API on every address is refused', async () => {
    const remoteWeb = createTestApp({
      payloadCodec: codec,
      codecAccess: 'local-open',
      configure: (config) => {
        config.settings.temporal.webUrl = 'https://temporal.example.com';
      },
    });
    await expect(remoteWeb).rejects.toThrow(/only for a local stack/);
    const { config } = await createTestApp({ payloadCodec: codec, codecAccess: 'local-open' });
    expect(() => assertCodecAccessSafe(config, '0.0.0.0')).toThrow(/API listening on 0\.0\.0\.0/);
    expect(() => assertCodecAccessSafe(config, '127.0.0.1')).not.toThrow();
  });

  it('decodes without a token for Temporal Web on localhost, however the loopback address is spelled', async () => {
    for (const origin of [WEB_ORIGIN, 'http://127.0.0.1:8233']) {
      const response = await app.request(
        '/codec/decode',
        fromTemporalWeb(await encryptedBody(SECRET), {}, origin),
      );
      expect(response.status).toBe(200);
      expect(response.headers.get('Access-Control-Allow-Origin')).toBe(origin);
      const { payloads } = (await response.json()) as { payloads: JsonPayload[] };
      expect(plainValue(payloads[0])).toEqual(SECRET);
    }
  });

  it('refuses any other origin, and requests without one', async () => {
    const body = await encryptedBody(SECRET);
    for (const origin of ['https://evil.example', 'http://localhost:8234']) {
      const response = await app.request('/codec/decode', fromTemporalWeb(body, {}, origin));
      expect(response.status).toBe(403);
      expect(JSON.stringify(await response.json())).not.toContain('marker-c0dec');
    }
    const { Origin: _origin, ...headers } = fromTemporalWeb(body).headers;
    const noOrigin = await app.request('/codec/decode', { method: 'POST', headers, body });
    expect(noOrigin.status).toBe(403);
    expect(((await noOrigin.json()) as ErrorJson).error.message).toMatch(/open only to Temporal Web/);
  });

  it('does not encode even for Temporal Web: a payload sealed here would pass for Runway’s own', async () => {
    const body = JSON.stringify({ payloads: [toJson(defaultPayloadConverter.toPayload(SECRET) as Payload)] });
    const response = await app.request('/codec/encode', fromTemporalWeb(body));
    expect(response.status).toBe(403);
    const text = await response.text();
    expect(text).toMatch(/does not encode/);
    expect(text).not.toContain('binary/encrypted');
  });
});
