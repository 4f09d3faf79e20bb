// Start authority: anyone who reaches Temporal can start any registered workflow type with any input,
// so every Runway workflow refuses to act unless Runway's API authorised that start. The API signs
// the workflow type, the workflow id, the moment and a digest of the input (HMAC-SHA256 under the
// decision keys, in a domain of its own so no decision can pass for a start or back); the workflow
// has a worker verify it in a local activity, so no key enters the history. Short-lived (judged
// against the server's start time of the execution) and bound to one id; a release's record then
// binds it to one run (db/release-records.ts).
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { StartAuthority } from '../workflows/start-authority.js';
import { canonicalJson, jsonDigest } from './canonical-json.js';
import type { DecisionKeys } from './decision-signature.js';

/** A start signed longer ago than this when Temporal accepted it is refused. */
export const START_AUTHORITY_LIFETIME_MS = 5 * 60_000;
/** Clocks of the API's host and the Temporal server may differ a little. */
export const START_CLOCK_SKEW_MS = 2 * 60_000;

const DOMAIN = 'runway/start-authority/v1\n';

type SignedFields = Pick<StartAuthority, 'v' | 'workflowType' | 'workflowId' | 'issuedAt' | 'inputDigest'>;

const mac = (key: Buffer, fields: SignedFields): Buffer =>
  createHmac('sha256', key)
    .update(DOMAIN + canonicalJson(fields), 'utf8')
    .digest();

/** What the API passes as a workflow's last argument: its word that this start is Runway's own. */
export function authoriseStart(
  keys: DecisionKeys,
  workflowType: string,
  workflowId: string,
  input: unknown,
  issuedAt: Date = new Date(),
): StartAuthority {
  const fields: SignedFields = {
    v: 1,
    workflowType,
    workflowId,
    issuedAt: issuedAt.toISOString(),
    inputDigest: jsonDigest(input),
  };
  const key = keys.keys.get(keys.signingKeyId) as Buffer;
  return { ...fields, keyId: keys.signingKeyId, signature: mac(key, fields).toString('base64url') };
}

export interface StartToCheck {
  workflowType: string;
  workflowId: string;
  /** When Temporal accepted the start (workflowInfo().startTime); none: the age is not judged. */
  startTime?: string;
  input: unknown;
  /** Whatever arrived as the authority: anything, until checked. */
  authority: unknown;
}

export type StartVerdict = { authorised: true } | { authorised: false; reason: string };

const isString = (value: unknown): value is string => typeof value === 'string' && value.length > 0;

/** Judges a start; every refusal says why, in words an operator reading the audit trail can act on. */
export function checkStartAuthority(keys: DecisionKeys, start: StartToCheck): StartVerdict {
  const refuse = (reason: string): StartVerdict => ({ authorised: false, reason });
  const authority = start.authority as Partial<StartAuthority> | null | undefined;
  if (authority === null || typeof authority !== 'object') {
    return refuse('the start carries no start authority: it was not started by Runway’s API');
  }
  const { v, workflowType, workflowId, issuedAt, inputDigest, keyId, signature } = authority;
  if (
    v !== 1 ||
    !isString(workflowType) ||
    !isString(workflowId) ||
    !isString(issuedAt) ||
    !isString(inputDigest) ||
    !isString(keyId) ||
    !isString(signature)
  ) {
    return refuse('the start authority is malformed');
  }
  const key = keys.keys.get(keyId);
  if (!key) return refuse(`the start authority names an unknown key id ${JSON.stringify(keyId)}`);
  const expected = mac(key, { v, workflowType, workflowId, issuedAt, inputDigest });
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return refuse('the start authority’s signature does not match');
  }
  if (workflowType !== start.workflowType) {
    return refuse(`the start authority is for workflow type ${workflowType}, not ${start.workflowType}`);
  }
  if (workflowId !== start.workflowId) {
    return refuse(`the start authority is for workflow id ${workflowId}, not ${start.workflowId}`);
  }
  if (inputDigest !== jsonDigest(start.input)) {
    return refuse('the input is not the one Runway’s API signed');
  }
  if (start.startTime !== undefined) {
    const age = Date.parse(start.startTime) - Date.parse(issuedAt);
    if (Number.isNaN(age) || age > START_AUTHORITY_LIFETIME_MS || age < -START_CLOCK_SKEW_MS) {
      return refuse(
        `the start authority was issued at ${issuedAt} and used at ${start.startTime}: starts are authorised for ${START_AUTHORITY_LIFETIME_MS / 60_000} minutes`,
      );
    }
  }
  return { authorised: true };
}
