// Payload encryption (R-SECRETS): every payload Runway hands to Temporal — workflow and activity
// inputs and results, update and signal arguments, query answers, heartbeat details, encoded
// failure attributes — is sealed with AES-256-GCM before it leaves the process, so the Temporal
// server and its database hold only ciphertext. Keys come from the environment as
// `keyId:base64url-key` pairs separated by commas, like the decision keys: the first encrypts, all
// decrypt, so a key is rotated by putting the new one first and dropping the old one only once no
// history that a worker may still replay or a person may still read was sealed with it.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { METADATA_ENCODING_KEY, type Payload, type PayloadCodec } from '@temporalio/common';
import protos from '@temporalio/proto';
import { newKeyEntry, parseKeyList } from './key-list.js';

/** The environment variable that holds the keys, for every Runway client and worker. */
export const PAYLOAD_KEYS_ENV = 'RUNWAY_PAYLOAD_KEYS';

/** The payload encoding of a sealed payload, as Temporal's encryption samples name it. */
export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';

export interface PayloadKeys {
  encryptingKeyId: string;
  keys: Map<string, Buffer>;
}

// A CommonJS package: Node's ESM loader sees only its default export.
const { temporal } = protos;

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const CIPHER = 'aes-256-gcm';

/** A key list that cannot be used: the message names the variable and the entry to fix. */
export class PayloadKeyError extends Error {
  override name = 'PayloadKeyError';
}

/** A payload that cannot be opened: unknown key, or ciphertext that is not what was sealed. */
export class PayloadDecryptionError extends Error {
  override name = 'PayloadDecryptionError';
}

/** Parses `kid:key[,kid:key…]` (see key-list.ts); AES-256 takes exactly 32 bytes, so any other length is a mistake. */
export function parsePayloadKeys(text: string | undefined, variable: string): PayloadKeys {
  const list = parseKeyList(text, {
    variable,
    purpose: 'the keys that encrypt workflow payloads (keyId:base64url-32-bytes)',
    lengthProblem: (bytes) =>
      bytes === KEY_BYTES
        ? undefined
        : `AES-256 needs exactly ${KEY_BYTES} (generate one with: openssl rand -base64 32 | tr '+/' '-_' | tr -d '=')`,
    error: PayloadKeyError,
  });
  return { encryptingKeyId: list.activeKeyId, keys: list.keys };
}

export function loadPayloadKeys(env: NodeJS.ProcessEnv = process.env): PayloadKeys {
  return parsePayloadKeys(env[PAYLOAD_KEYS_ENV], PAYLOAD_KEYS_ENV);
}

/** A fresh key entry, for set-up scripts and tests. */
export const generatePayloadKeyEntry = (keyId?: string): string => newKeyEntry('p', KEY_BYTES, keyId);

const utf8 = (bytes: Uint8Array | null | undefined): string | undefined =>
  bytes ? Buffer.from(bytes).toString('utf8') : undefined;

export function isEncrypted(payload: Payload): boolean {
  return utf8(payload.metadata?.[METADATA_ENCODING_KEY]) === ENCRYPTED_ENCODING;
}

/**
 * Seals the whole original payload, metadata included, so not even its encoding (json/plain,
 * binary/null…) shows. The key id is authenticated too: a payload relabelled with another key id
 * fails to open rather than being tried under a key it was not sealed with.
 */
export class PayloadEncryptionCodec implements PayloadCodec {
  constructor(private readonly keys: PayloadKeys) {}

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => this.seal(payload));
  }

  /** Payloads sealed by no key (histories from before encryption) pass through unchanged. */
  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => (isEncrypted(payload) ? this.open(payload) : payload));
  }

  private seal(payload: Payload): Payload {
    const keyId = this.keys.encryptingKeyId;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(CIPHER, this.keys.keys.get(keyId) as Buffer, iv);
    cipher.setAAD(Buffer.from(keyId, 'utf8'));
    const plaintext = temporal.api.common.v1.Payload.encode(payload).finish();
    const sealed = Buffer.concat([iv, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
    return {
      metadata: {
        [METADATA_ENCODING_KEY]: Buffer.from(ENCRYPTED_ENCODING),
        [KEY_ID_METADATA]: Buffer.from(keyId),
      },
      data: sealed,
    };
  }

  private open(payload: Payload): Payload {
    const keyId = utf8(payload.metadata?.[KEY_ID_METADATA]);
    if (!keyId) throw new PayloadDecryptionError(`an encrypted payload carries no ${KEY_ID_METADATA}`);
    const key = this.keys.keys.get(keyId);
    if (!key) {
      throw new PayloadDecryptionError(
        `a payload is encrypted with key id ${JSON.stringify(keyId)}, which is not in ${PAYLOAD_KEYS_ENV} (known: ${[...this.keys.keys.keys()].join(', ')}); add that key back to the list`,
      );
    }
    const sealed = Buffer.from(payload.data ?? new Uint8Array());
    if (sealed.length < IV_BYTES + TAG_BYTES) {
      throw new PayloadDecryptionError(`a payload encrypted with key ${keyId} is truncated`);
    }
    const decipher = createDecipheriv(CIPHER, key, sealed.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(keyId, 'utf8'));
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
    let plaintext: Buffer;
    try {
      plaintext = Buffer.concat([
        decipher.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES)),
        decipher.final(),
      ]);
    } catch {
      throw new PayloadDecryptionError(
        `a payload encrypted with key ${keyId} failed its integrity check: it was altered, or that key id names a different key here`,
      );
    }
    return temporal.api.common.v1.Payload.decode(plaintext);
  }
}
