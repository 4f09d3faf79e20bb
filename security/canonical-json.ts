// One text for one JSON value, whatever the key order it was built or decoded with: what is signed
// on one side of Temporal and verified on the other must not depend on how either serialised it.
import { createHash } from 'node:crypto';

/** JSON with object keys sorted at every depth; `undefined` members dropped, as JSON drops them. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(JSON.parse(JSON.stringify(value ?? null))));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
  );
}

/** SHA-256 of the canonical JSON, base64url: a value's fingerprint. */
export function jsonDigest(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value), 'utf8').digest('base64url');
}
