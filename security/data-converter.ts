// The DataConverters of Runway's clients and workers, so that nothing reaches Temporal in clear:
// payloads go through the encryption codec, failure messages and stack traces through the failure
// converter that moves them into (encrypted) encoded attributes. Workers also mark what arrives
// unsealed (inbound-payloads.ts), so a start, signal or update that did not come from Runway is refused.
import { fileURLToPath } from 'node:url';
import type { DataConverter } from '@temporalio/common';
import { InboundScreeningCodec } from './inbound-payloads.js';
import { loadPayloadKeys, PayloadEncryptionCodec, type PayloadKeys } from './payload-codec.js';

/** Bundled into the workflow sandbox as well: see RELEASE_WORKFLOW_BUNDLE in worker/create-release-worker.ts. */
export const FAILURE_CONVERTER_PATH = fileURLToPath(new URL('./failure-converter.cjs', import.meta.url));
/** The workers' payload converter (sandbox and process): tags values that arrived unsealed. */
export const PAYLOAD_CONVERTER_PATH = fileURLToPath(new URL('./payload-converter.cjs', import.meta.url));

export interface PayloadEncryption {
  /** For the codec endpoint, which decrypts for Temporal Web what the workers encrypted. */
  codec: PayloadEncryptionCodec;
  /** For every Temporal client. */
  dataConverter: DataConverter;
  /** For every worker, and for replaying histories as a worker would. */
  workerDataConverter: DataConverter;
}

export function payloadEncryption(keys: PayloadKeys): PayloadEncryption {
  const codec = new PayloadEncryptionCodec(keys);
  return {
    codec,
    dataConverter: { payloadCodecs: [codec], failureConverterPath: FAILURE_CONVERTER_PATH },
    workerDataConverter: {
      payloadCodecs: [new InboundScreeningCodec(codec)],
      payloadConverterPath: PAYLOAD_CONVERTER_PATH,
      failureConverterPath: FAILURE_CONVERTER_PATH,
    },
  };
}

/** Reads RUNWAY_PAYLOAD_KEYS; fails at start, with the variable named, when it is missing or wrong. */
export function payloadEncryptionFromEnvironment(env: NodeJS.ProcessEnv = process.env): PayloadEncryption {
  return payloadEncryption(loadPayloadKeys(env));
}
