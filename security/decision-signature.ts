// Signed decisions (R-APPROVE, R-SOD): the API signs what it vouches for — who decided what, on
// which release and gate, when, once — with HMAC-SHA256; the worker verifies it in a local activity,
// so no key ever enters a workflow history. Keys come from the environment (R-SECRETS) as
// `keyId:base64url-key` pairs separated by commas; the first signs, all verify, so a key can be
// rotated by putting the new one first and dropping the old one once no release waits on it.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { DecisionClaim, SignedDecision } from '../workflows/release-model.js';
import { newKeyEntry, parseKeyList } from './key-list.js';

/** The environment variable that holds the keys, for the API (signs) and the worker (verifies). */
export const DECISION_KEYS_ENV = 'RUNWAY_DECISION_KEYS';

export interface DecisionKeys {
  signingKeyId: string;
  keys: Map<string, Buffer>;
}

const MIN_KEY_BYTES = 32;

export class DecisionKeyError extends Error {
  override name = 'DecisionKeyError';
}

/** Parses `kid:key[,kid:key…]` (see key-list.ts); HMAC keys shorter than 32 bytes are refused. */
export function parseDecisionKeys(text: string | undefined, variable: string): DecisionKeys {
  const list = parseKeyList(text, {
    variable,
    purpose: 'the keys that sign approval decisions',
    lengthProblem: (bytes) => (bytes < MIN_KEY_BYTES ? `at least ${MIN_KEY_BYTES} are needed` : undefined),
    error: DecisionKeyError,
  });
  return { signingKeyId: list.activeKeyId, keys: list.keys };
}

export function loadDecisionKeys(env: NodeJS.ProcessEnv = process.env): DecisionKeys {
  return parseDecisionKeys(env[DECISION_KEYS_ENV], DECISION_KEYS_ENV);
}

/** A fresh key entry, for set-up scripts and tests. */
export const generateDecisionKeyEntry = (keyId?: string): string => newKeyEntry('k', MIN_KEY_BYTES, keyId);

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
