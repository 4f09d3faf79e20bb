// The one format Runway's key lists take in the environment (R-SECRETS): `keyId:base64url-key`
// entries separated by commas. The first key is the one that signs or encrypts; every listed key
// verifies or decrypts, so a key is rotated by putting the new one first.
import { randomBytes } from 'node:crypto';
import { registerSecret } from '../logging/secret-values.js';

const KEY_ID = /^[A-Za-z0-9._-]{1,40}$/;

export interface KeyList {
  /** The first entry's id: the key that signs or encrypts. */
  activeKeyId: string;
  keys: Map<string, Buffer>;
}

export interface KeyListRules {
  /** The environment variable, named in every error so the fix is obvious. */
  variable: string;
  /** What the keys are for, said when the variable is missing. */
  purpose: string;
  /** Why a key of this length will not do, or undefined when it will. */
  lengthProblem(bytes: number): string | undefined;
  /** The error type the caller's users recognise. */
  error: new (
    message: string,
  ) => Error;
}

/** Parses a key list; every key is registered as a secret, so no log line ever carries it. */
export function parseKeyList(text: string | undefined, rules: KeyListRules): KeyList {
  const fail = (message: string) => new rules.error(`${rules.variable}${message}`);
  if (!text) throw fail(` is not set: it holds ${rules.purpose}`);
  const keys = new Map<string, Buffer>();
  for (const [index, part] of text.split(',').entries()) {
    const [keyId, encoded, ...rest] = part.trim().split(':');
    if (!keyId || !encoded || rest.length > 0 || !KEY_ID.test(keyId)) {
      throw fail(`: entry ${index + 1} is not keyId:base64url-key`);
    }
    const key = Buffer.from(encoded, 'base64url');
    const problem = rules.lengthProblem(key.length);
    if (problem) throw fail(`: key ${keyId} has ${key.length} bytes; ${problem}`);
    if (keys.has(keyId)) throw fail(`: key id ${keyId} appears twice`);
    keys.set(keyId, key);
  }
  for (const key of keys.values()) registerSecret(encodedKey(key));
  return { activeKeyId: keys.keys().next().value as string, keys };
}

const encodedKey = (key: Buffer): string => key.toString('base64url');

/** A fresh `keyId:key` entry of `bytes` random bytes, for set-up scripts and tests. */
export function newKeyEntry(
  prefix: string,
  bytes: number,
  keyId = `${prefix}${Date.now().toString(36)}`,
): string {
  return `${keyId}:${randomBytes(bytes).toString('base64url')}`;
}
