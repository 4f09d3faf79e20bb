// Release backups are encrypted before they are stored (R-RB-DB; seed: 数据备份加密存储): a
// database dump holds the service's data, and Runway's database must not hold it in clear.
//
// AES-256-GCM in chunks, so a dump of any size streams through with little memory and every byte
// handed to pg_restore has been authenticated first (one GCM over the whole dump would only say at
// its very end that it was altered). Layout:
//   header   "RWB1" + 7 random bytes (the nonce prefix)
//   frames   flag (1: last) + uint32 ciphertext length + ciphertext + 16-byte tag
// Each frame's nonce is the prefix, the frame's number and the flag; the header and the key id are
// authenticated with every frame. So frames cannot be reordered, dropped, cut short or moved to
// another key's backup without decryption failing.
//
// Keys: RUNWAY_BACKUP_KEYS in the `kid:base64url-key[,older…]` form of every Runway key list (the
// first encrypts, every one decrypts); unset, the payload keys (RUNWAY_PAYLOAD_KEYS) serve.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { type KeyList, parseKeyList } from './key-list.js';
import { PAYLOAD_KEYS_ENV } from './payload-codec.js';

export const BACKUP_KEYS_ENV = 'RUNWAY_BACKUP_KEYS';

const MAGIC = Buffer.from('RWB1');
const PREFIX_BYTES = 7;
const HEADER_BYTES = MAGIC.length + PREFIX_BYTES;
const FRAME_HEADER_BYTES = 5;
const TAG_BYTES = 16;
const KEY_BYTES = 32;
/** Plaintext per frame: big enough that framing costs nothing, small enough to stream. */
export const CHUNK_BYTES = 64 * 1024;
const CIPHER = 'aes-256-gcm';

export class BackupKeyError extends Error {
  override name = 'BackupKeyError';
}

/** A backup that cannot be opened: unknown key, a wrong key, or bytes that are not what was sealed. */
export class BackupDecryptionError extends Error {
  override name = 'BackupDecryptionError';
}

export interface BackupKeys extends KeyList {
  /** The variable they came from: RUNWAY_BACKUP_KEYS, or RUNWAY_PAYLOAD_KEYS in its place. */
  variable: string;
}

/** The backup keys from the environment; `onFallback` hears when the payload keys stand in. */
export function loadBackupKeys(
  env: NodeJS.ProcessEnv = process.env,
  onFallback: (message: string) => void = () => {},
): BackupKeys {
  const variable = env[BACKUP_KEYS_ENV] ? BACKUP_KEYS_ENV : PAYLOAD_KEYS_ENV;
  if (variable === PAYLOAD_KEYS_ENV) {
    onFallback(
      `${BACKUP_KEYS_ENV} is not set: release backups are encrypted with the payload keys (${PAYLOAD_KEYS_ENV})`,
    );
  }
  const list = parseKeyList(env[variable], {
    variable,
    purpose: `the keys that encrypt release backups (keyId:base64url-32-bytes); set ${BACKUP_KEYS_ENV} or ${PAYLOAD_KEYS_ENV}`,
    lengthProblem: (bytes) =>
      bytes === KEY_BYTES
        ? undefined
        : `AES-256 needs exactly ${KEY_BYTES} (generate one with: openssl rand -base64 32 | tr '+/' '-_' | tr -d '=')`,
    error: BackupKeyError,
  });
  return { ...list, variable };
}

function nonceFor(prefix: Buffer, frame: number, last: boolean): Buffer {
  const nonce = Buffer.alloc(12);
  prefix.copy(nonce, 0);
  nonce.writeUInt32BE(frame, PREFIX_BYTES);
  nonce[11] = last ? 1 : 0;
  return nonce;
}

function associatedData(header: Buffer, keyId: string): Buffer {
  return Buffer.concat([header, Buffer.from(keyId, 'utf8')]);
}

/** Encrypts a stream with the active key; `keyId` says which one, for the record. */
export function createBackupEncryptor(keys: KeyList): { keyId: string; stream: Transform } {
  const keyId = keys.activeKeyId;
  const key = keys.keys.get(keyId) as Buffer;
  const prefix = randomBytes(PREFIX_BYTES);
  const header = Buffer.concat([MAGIC, prefix]);
  const aad = associatedData(header, keyId);
  let frame = 0;
  let pending = Buffer.alloc(0);

  const seal = (plaintext: Buffer, last: boolean): Buffer => {
    const cipher = createCipheriv(CIPHER, key, nonceFor(prefix, frame++, last));
    cipher.setAAD(aad);
    const body = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
    const frameHeader = Buffer.alloc(FRAME_HEADER_BYTES);
    frameHeader[0] = last ? 1 : 0;
    frameHeader.writeUInt32BE(body.length, 1);
    return Buffer.concat([frameHeader, body]);
  };

  const stream = new Transform({
    construct(callback) {
      this.push(header);
      callback();
    },
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      pending = Buffer.concat([pending, chunk]);
      // A frame goes out only once a byte follows it: only then is it known not to be the last.
      while (pending.length > CHUNK_BYTES) {
        this.push(seal(pending.subarray(0, CHUNK_BYTES), false));
        pending = pending.subarray(CHUNK_BYTES);
      }
      callback();
    },
    flush(callback: TransformCallback) {
      this.push(seal(pending, true));
      callback();
    },
  });
  return { keyId, stream };
}

/** Decrypts what createBackupEncryptor made under `keyId`; fails before passing on an altered byte. */
export function createBackupDecryptor(keys: KeyList, keyId: string): Transform {
  const key = keys.keys.get(keyId);
  let buffered = Buffer.alloc(0);
  let header: Buffer | undefined;
  let frame = 0;
  let ended = false;

  const open = (last: boolean, body: Buffer): Buffer => {
    if (!key || !header) throw new Error('unreachable: checked before');
    const decipher = createDecipheriv(CIPHER, key, nonceFor(header.subarray(MAGIC.length), frame++, last));
    decipher.setAAD(associatedData(header, keyId));
    decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
    try {
      return Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()]);
    } catch {
      throw new BackupDecryptionError(
        `the backup does not decrypt with key ${keyId}: the key is not the one it was encrypted with, or the backup was altered`,
      );
    }
  };

  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      try {
        if (!key) {
          throw new BackupDecryptionError(
            `the backup was encrypted with key ${keyId}, which the configured backup keys do not hold: add it (after the active key) to ${BACKUP_KEYS_ENV}`,
          );
        }
        buffered = Buffer.concat([buffered, chunk]);
        if (!header) {
          if (buffered.length < HEADER_BYTES) return callback();
          header = buffered.subarray(0, HEADER_BYTES);
          if (!header.subarray(0, MAGIC.length).equals(MAGIC)) {
            throw new BackupDecryptionError('this is not a Runway release backup (its header is missing)');
          }
          buffered = buffered.subarray(HEADER_BYTES);
        }
        while (buffered.length >= FRAME_HEADER_BYTES) {
          if (ended)
            throw new BackupDecryptionError('the backup has bytes after its last part: it was altered');
          const length = buffered.readUInt32BE(1);
          if (length < TAG_BYTES || length > CHUNK_BYTES + TAG_BYTES) {
            throw new BackupDecryptionError('the backup is damaged: a part has an impossible length');
          }
          if (buffered.length < FRAME_HEADER_BYTES + length) break;
          const last = buffered[0] === 1;
          this.push(open(last, buffered.subarray(FRAME_HEADER_BYTES, FRAME_HEADER_BYTES + length)));
          buffered = buffered.subarray(FRAME_HEADER_BYTES + length);
          ended = last;
        }
        callback();
      } catch (error) {
        callback(error as Error);
      }
    },
    flush(callback: TransformCallback) {
      if (!ended || buffered.length > 0) {
        callback(new BackupDecryptionError('the backup is cut short: its last part is missing'));
        return;
      }
      callback();
    },
  });
}
