// Signed decisions (R-APPROVE, R-SOD): the API signs what it vouches for — who decided what, on
// which release and gate, when, once — with HMAC-SHA256; the worker verifies it in a local activity,
// so no key ever enters a workflow history. Keys come from the environment (R-SECRETS) as
// `keyId:base64url-key` pairs separated by commas; the first signs, all verify, so a key can be
// rotated by putting the new one first and dropping the old one once no release waits on it.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { registerSecret } from '../logging/secret-values.js';
import type { DecisionClaim, SignedDecision } from '../workflows/release-model.js';

/** The environment variable that holds the keys, for the API (signs) and the worker (verifies). */
export const DECISION_KEYS_ENV = 'RUNWAY_DECISION_KEYS';

export interface DecisionKeys {
  signingKeyId: string;
  keys: Map<string, Buffer>;
}

const KEY_ID = /^[A-Za-z0-9._-]{1,40}$/;
const MIN_KEY_BYTES = 32;

export class DecisionKeyError extends Error {
  override name = 'DecisionKeyError';
}

/** Parses `kid:key[,kid:key…]`; names the variable in every error so the fix is obvious. */
export function parseDecisionKeys(text: string | undefined, variable: string): DecisionKeys {
  if (!text)
    throw new DecisionKeyError(`${variable} is not set: it holds the keys that sign approval decisions`);
  const keys = new Map<string, Buffer>();
  for (const [index, part] of text.split(',').entries()) {
    const [keyId, encoded, ...rest] = part.trim().split(':');
    if (!keyId || !encoded || rest.length > 0 || !KEY_ID.test(keyId)) {
      throw new DecisionKeyError(`${variable}: entry ${index + 1} is not keyId:base64url-key`);
    }
    const key = Buffer.from(encoded, 'base64url');
    if (key.length < MIN_KEY_BYTES) {
      throw new DecisionKeyError(
        `${variable}: key ${keyId} has ${key.length} bytes; at least ${MIN_KEY_BYTES} are needed`,
      );
    }
    if (keys.has(keyId)) throw new DecisionKeyError(`${variable}: key id ${keyId} appears twice`);
    keys.set(keyId, key);
  }
  const signingKeyId = keys.keys().next().value as string;
  return { signingKeyId, keys };
}

export function loadDecisionKeys(env: NodeJS.ProcessEnv = process.env): DecisionKeys {
  const keys = parseDecisionKeys(env[DECISION_KEYS_ENV], DECISION_KEYS_ENV);
  for (const key of keys.keys.values()) registerSecret(key.toString('base64url'));
  return keys;
}

/** A fresh key entry, for set-up scripts and tests. */
export function generateDecisionKeyEntry(keyId = `k${Date.now().toString(36)}`): string {
  return `${keyId}:${randomBytes(MIN_KEY_BYTES).toString('base64url')}`;
}

const mac = (key: Buffer, claim: string): Buffer => createHmac('sha256', key).update(claim, 'utf8').digest();

export function signClaim(keys: DecisionKeys, claim: DecisionClaim): SignedDecision {
  const text = JSON.stringify(claim);
  const key = keys.keys.get(keys.signingKeyId) as Buffer;
  return { claim: text, keyId: keys.signingKeyId, signature: mac(key, text).toString('base64url') };
}

export function verifySignedDecision(
  keys: DecisionKeys,
  signed: SignedDecision,
): { valid: true } | { valid: false; reason: string } {
  const key = keys.keys.get(signed.keyId);
  if (!key) return { valid: false, reason: `unknown key id ${JSON.stringify(signed.keyId)}` };
  const given = Buffer.from(signed.signature, 'base64url');
  const expected = mac(key, signed.claim);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { valid: false, reason: 'the signature does not match the claim' };
  }
  return { valid: true };
}
