// The one DataConverter every Runway client and worker uses, so that nothing reaches Temporal in
// clear: payloads go through the encryption codec, failure messages and stack traces through the
// failure converter that moves them into (encrypted) encoded attributes.
import { fileURLToPath } from 'node:url';
import type { DataConverter } from '@temporalio/common';
import { loadPayloadKeys, PayloadEncryptionCodec, type PayloadKeys } from './payload-codec.js';

/** Bundled into the workflow sandbox as well: see RELEASE_WORKFLOW_BUNDLE in worker/create-release-worker.ts. */
export const FAILURE_CONVERTER_PATH = fileURLToPath(new URL('./failure-converter.cjs', import.meta.url));

export interface PayloadEncryption {
  /** For the codec endpoint, which decrypts for Temporal Web what the workers encrypted. */
  codec: PayloadEncryptionCodec;
  /** For every Temporal client and worker. */
  dataConverter: DataConverter;
}

export function payloadEncryption(keys: PayloadKeys): PayloadEncryption {
  const codec = new PayloadEncryptionCodec(keys);
  return { codec, dataConverter: { payloadCodecs: [codec], failureConverterPath: FAILURE_CONVERTER_PATH } };
}

/** Reads RUNWAY_PAYLOAD_KEYS; fails at start, with the variable named, when it is missing or wrong. */
export function payloadEncryptionFromEnvironment(env: NodeJS.ProcessEnv = process.env): PayloadEncryption {
  return payloadEncryption(loadPayloadKeys(env));
}
