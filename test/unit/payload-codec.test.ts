import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import {
  ENCRYPTED_ENCODING,
  generatePayloadKeyEntry,
  isEncrypted,
  KEY_ID_METADATA,
  PayloadDecryptionError,
  PayloadEncryptionCodec,
  PayloadKeyError,
  parsePayloadKeys,
} from '../../security/payload-codec.js';

const keyOf = (fill: number) => Buffer.alloc(32, fill).toString('base64url');
const codecWith = (text: string) => new PayloadEncryptionCodec(parsePayloadKeys(text, 'RUNWAY_PAYLOAD_KEYS'));
const toPayload = (value: unknown) => defaultPayloadConverter.toPayload(value) as Payload;
const fromPayload = (payload: Payload | undefined) => defaultPayloadConverter.fromPayload(payload as Payload);
const text = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? []).toString('utf8');

const SECRET = { version: '9.9.9', comment: 'marker-7f3a launch codes' };

describe('the payload encryption codec', () => {
  it('round-trips values of every kind and hides them, metadata included', async () => {
    const codec = codecWith(`k1:${keyOf(1)}`);
    const values = [SECRET, 'plain text', 42, null, undefined, new Uint8Array([1, 2, 3])];
    const encoded = await codec.encode(values.map(toPayload));
    for (const payload of encoded) {
      expect(text(payload.metadata?.encoding)).toBe(ENCRYPTED_ENCODING);
      expect(text(payload.metadata?.[KEY_ID_METADATA])).toBe('k1');
      expect(Object.keys(payload.metadata ?? {}).sort()).toEqual([KEY_ID_METADATA, 'encoding'].sort());
      expect(text(payload.data)).not.toContain('marker-7f3a');
      expect(text(payload.data)).not.toContain('json/plain');
    }
    const decoded = await codec.decode(encoded);
    expect(decoded.map(fromPayload)).toEqual(values);
    expect(text(decoded[0]?.metadata?.encoding)).toBe('json/plain');
  });

  it('uses a fresh IV for every payload: the same value never gives the same ciphertext', async () => {
    const codec = codecWith(`k1:${keyOf(1)}`);
    const [first, second] = await codec.encode([toPayload(SECRET), toPayload(SECRET)]);
    expect(Buffer.from(first?.data ?? []).equals(Buffer.from(second?.data ?? []))).toBe(false);
  });

  it('encrypts with the first key and still decrypts with the keys after it (rotation)', async () => {
    const before = codecWith(`old:${keyOf(1)}`);
    const sealedWithOld = await before.encode([toPayload(SECRET)]);
    const after = codecWith(`new:${keyOf(2)},old:${keyOf(1)}`);
    expect(fromPayload((await after.decode(sealedWithOld))[0])).toEqual(SECRET);
    const sealedWithNew = await after.encode([toPayload(SECRET)]);
    expect(text(sealedWithNew[0]?.metadata?.[KEY_ID_METADATA])).toBe('new');
    await expect(before.decode(sealedWithNew)).rejects.toThrow(PayloadDecryptionError);
  });

  it('names the unknown key id when a payload was sealed with a key it does not have', async () => {
    const sealed = await codecWith(`gone-2025:${keyOf(3)}`).encode([toPayload(SECRET)]);
    await expect(codecWith(`k1:${keyOf(1)}`).decode(sealed)).rejects.toThrow(
      /key id "gone-2025", which is not in RUNWAY_PAYLOAD_KEYS \(known: k1\)/,
    );
  });

  it('refuses tampered ciphertext, a swapped key id and a truncated payload', async () => {
    const codec = codecWith(`k1:${keyOf(1)},k2:${keyOf(2)}`);
    const [sealed] = await codec.encode([toPayload(SECRET)]);
    const data = Buffer.from(sealed?.data ?? []);
    const flipped = Buffer.from(data);
    flipped[20] = (flipped[20] ?? 0) ^ 1;
    await expect(codec.decode([{ ...sealed, data: flipped }])).rejects.toThrow(/integrity check/);
    const relabelled = { ...sealed, metadata: { ...sealed?.metadata, [KEY_ID_METADATA]: Buffer.from('k2') } };
    await expect(codec.decode([relabelled])).rejects.toThrow(/integrity check/);
    await expect(codec.decode([{ ...sealed, data: data.subarray(0, 20) }])).rejects.toThrow(/truncated/);
  });

  it('costs a fixed few dozen bytes and a few microseconds per payload', async () => {
    const codec = codecWith(`k1:${keyOf(1)}`);
    const payload = toPayload({ plan: 'x'.repeat(1000) });
    const size = (p: Payload) =>
      (p.data?.length ?? 0) +
      Object.entries(p.metadata ?? {}).reduce((sum, [k, v]) => sum + k.length + v.length, 0);
    const rounds = 2_000;
    const started = performance.now();
    let sealed: Payload[] = [];
    for (let round = 0; round < rounds; round++) sealed = await codec.encode([payload]);
    const encoded = performance.now();
    for (let round = 0; round < rounds; round++) await codec.decode(sealed);
    const decoded = performance.now();
    const overhead = size(sealed[0] as Payload) - size(payload);
    const micros = (ms: number) => ((ms * 1000) / rounds).toFixed(1);
    console.log(
      `payload codec: +${overhead} bytes on a ${size(payload)}-byte payload; ` +
        `encode ${micros(encoded - started)} µs, decode ${micros(decoded - encoded)} µs per payload`,
    );
    expect(overhead).toBeLessThan(100);
    expect((decoded - started) / rounds).toBeLessThan(5);
  });

  it('passes payloads that were never encrypted through unchanged', async () => {
    const codec = codecWith(`k1:${keyOf(1)}`);
    const plain = [toPayload(SECRET), toPayload(undefined), toPayload(new Uint8Array([7]))];
    const decoded = await codec.decode(plain);
    expect(decoded).toEqual(plain);
    expect(decoded.some(isEncrypted)).toBe(false);
  });
});

describe('payload keys from the environment', () => {
  it('takes the first key to encrypt and keeps all of them', () => {
    const keys = parsePayloadKeys(`${generatePayloadKeyEntry('a')}, ${generatePayloadKeyEntry('b')}`, 'V');
    expect(keys.encryptingKeyId).toBe('a');
    expect([...keys.keys.keys()]).toEqual(['a', 'b']);
  });

  it.each([
    [undefined, /V is not set: it holds the keys that encrypt workflow payloads/],
    ['', /V is not set/],
    [`k1:${Buffer.alloc(16).toString('base64url')}`, /key k1 has 16 bytes; AES-256 needs exactly 32/],
    [`k1:${Buffer.alloc(33).toString('base64url')}`, /key k1 has 33 bytes/],
    [`k1:${keyOf(1)},k1:${keyOf(2)}`, /key id k1 appears twice/],
    [keyOf(1), /entry 1 is not keyId:base64url-key/],
    [`k1:${keyOf(1)},bad id:${keyOf(2)}`, /entry 2 is not keyId:base64url-key/],
  ])('rejects %j with an actionable message', (value, message) => {
    expect(() => parsePayloadKeys(value, 'V')).toThrow(PayloadKeyError);
    expect(() => parsePayloadKeys(value, 'V')).toThrow(message);
  });
});
