// How a value reached the workflow, as the worker's payload converter marks it (security/
// payload-converter.cjs): sealed by Runway's codec, sent in clear (no codec: not from Runway's API
// or workers), or sealed with a key this worker does not have. Only the entry points — a start's
// input, a signal's or an update's argument — ask; nothing else a release sees comes from outside.
// The keys are Symbol.for names, so the converter (CommonJS, loaded twice) and this module agree
// without importing each other: keep them equal to the converter's.
const IN_CLEAR = Symbol.for('runway.payload.in-clear');
const UNDECRYPTABLE = Symbol.for('runway.payload.undecryptable');

/** Why a value that arrived from outside cannot be taken for one of Runway's own; undefined when it can. */
export function untrustedOrigin(value: unknown): string | undefined {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return undefined;
  const undecryptable = (value as Record<symbol, unknown>)[UNDECRYPTABLE];
  if (typeof undecryptable === 'string') return `it could not be decrypted (${undecryptable})`;
  if ((value as Record<symbol, unknown>)[IN_CLEAR] === true) {
    return 'it was sent in clear, not sealed with Runway’s payload key';
  }
  return undefined;
}
