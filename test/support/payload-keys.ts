// The payload key of the test stacks. Fixed, so histories recorded from them for the replay suite
// can be decrypted by the replay test for as long as they are kept.
import { payloadEncryption } from '../../security/data-converter.js';
import { PAYLOAD_KEYS_ENV, parsePayloadKeys } from '../../security/payload-codec.js';

export const TEST_PAYLOAD_KEY_ENTRY = `test-p1:${Buffer.alloc(32, 7).toString('base64url')}`;
export const testPayloadKeys = parsePayloadKeys(TEST_PAYLOAD_KEY_ENTRY, 'test payload keys');
/** What a test client needs to read the results, queries and failures of the test stacks' releases. */
export const testDataConverter = payloadEncryption(testPayloadKeys).dataConverter;
/** What a worker of the test stacks uses: it also marks payloads that arrive unsealed. */
export const testWorkerDataConverter = payloadEncryption(testPayloadKeys).workerDataConverter;
export const testPayloadKeyEnv = { [PAYLOAD_KEYS_ENV]: TEST_PAYLOAD_KEY_ENTRY };
