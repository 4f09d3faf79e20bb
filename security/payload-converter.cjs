// The payload converter of Runway's workers, in the workflow sandbox and in the worker process: the
// default JSON conversion, plus the mark that the worker's codec (security/inbound-payloads.ts) put on
// a payload that did not come sealed with Runway's key. A value sent in clear, or sealed with a key
// this worker lacks, is tagged so the entry points (start input, signal and update arguments) can
// refuse it and record why (workflows/payload-origin.ts reads the tags) — without the codec
// throwing, which would fail a legitimate release's workflow tasks for ever over one forged signal.
// CommonJS for the same reason as failure-converter.cjs: the SDK loads it by path, with require()
// in the worker and through the bundler into the sandbox. The symbol names are workflows/payload-origin.ts's.
const { DefaultPayloadConverter } = require('@temporalio/common');

const IN_CLEAR = Symbol.for('runway.payload.in-clear');
const UNDECRYPTABLE = Symbol.for('runway.payload.undecryptable');
/** Metadata keys of the worker's codec; keep equal to INBOUND_MARKS in security/inbound-payloads.ts. */
const IN_CLEAR_METADATA = 'runway-in-clear';
const UNDECRYPTABLE_METADATA = 'runway-undecryptable';

const text = (bytes) => (bytes ? Buffer.from(bytes).toString('utf8') : undefined);

/**
 * Stands for a payload that could not be opened. Read only for its tag: any other use fails loudly
 * (the workflow task fails and is retried once the key is back), never passes for a real value.
 */
function undecryptableValue(reason) {
  return new Proxy(Object.freeze({}), {
    get(_target, property) {
      if (property === UNDECRYPTABLE) return reason;
      if (typeof property === 'symbol' || property === 'then' || property === 'toJSON') return undefined;
      throw new Error(
        `a payload could not be decrypted (${reason}); add its key back to RUNWAY_PAYLOAD_KEYS`,
      );
    },
  });
}

class InboundPayloadConverter extends DefaultPayloadConverter {
  fromPayload(payload, context, hint) {
    const metadata = payload.metadata ?? {};
    const undecryptable = text(metadata[UNDECRYPTABLE_METADATA]);
    if (undecryptable !== undefined) return undecryptableValue(undecryptable);
    const value = super.fromPayload(payload, context, hint);
    if (
      metadata[IN_CLEAR_METADATA] &&
      value !== null &&
      typeof value === 'object' &&
      Object.isExtensible(value)
    ) {
      Object.defineProperty(value, IN_CLEAR, { value: true, enumerable: false });
    }
    return value;
  }
}

exports.payloadConverter = new InboundPayloadConverter();
