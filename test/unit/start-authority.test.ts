// The API's start authority (security/start-authority.ts) and the workers' marking of what arrives
// unsealed (security/inbound-payloads.ts, payload-converter.cjs, workflows/payload-origin.ts).
import { createRequire } from 'node:module';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { InboundScreeningCodec } from '../../security/inbound-payloads.js';
import { PayloadEncryptionCodec, parsePayloadKeys } from '../../security/payload-codec.js';
import { authoriseStart, checkStartAuthority } from '../../security/start-authority.js';
import { untrustedOrigin } from '../../workflows/payload-origin.js';
import { testPayloadKeys } from '../support/payload-keys.js';
import { foreignDecisionKeys, testDecisionKeys } from '../support/signed-decisions.js';

const { payloadConverter } = createRequire(import.meta.url)('../../security/payload-converter.cjs') as {
  payloadConverter: { fromPayload(payload: Payload): unknown };
};

const input = { releaseId: 'r-1', plan: { steps: [{ id: 'a', argv: ['x'] }] }, version: '1.2.0' };
const issuedAt = new Date('2026-12-06T10:00:00Z');
const authority = authoriseStart(testDecisionKeys, 'releaseWorkflowV2', 'r-1', input, issuedAt);
const start = {
  workflowType: 'releaseWorkflowV2',
  workflowId: 'r-1',
  startTime: '2026-12-06T10:00:01Z',
  input,
  authority,
};

describe('start authority', () => {
  it('admits the start it was issued for, whatever the key order its input arrives in', () => {
    const reordered = { version: '1.2.0', plan: { steps: [{ argv: ['x'], id: 'a' }] }, releaseId: 'r-1' };
    expect(checkStartAuthority(testDecisionKeys, start)).toEqual({ authorised: true });
    expect(checkStartAuthority(testDecisionKeys, { ...start, input: reordered })).toEqual({
      authorised: true,
    });
  });

  it.each([
    ['no authority', { authority: undefined }, /no start authority/],
    ['a malformed one', { authority: { v: 1, workflowId: 'r-1' } }, /malformed/],
    [
      'another type',
      { workflowType: 'releaseWorkflow' },
      /for workflow type releaseWorkflowV2, not releaseWorkflow/,
    ],
    ['another id', { workflowId: 'r-2' }, /for workflow id r-1, not r-2/],
    ['another input', { input: { ...input, version: '9.9.9' } }, /not the one Runway’s API signed/],
    ['a stale one', { startTime: '2026-12-06T10:05:01Z' }, /authorised for 5 minutes/],
    ['one from the future', { startTime: '2026-12-06T09:57:00Z' }, /authorised for 5 minutes/],
    [
      'a changed field',
      { authority: { ...authority, issuedAt: '2026-12-06T10:04:00Z' } },
      /signature does not match/,
    ],
    ['an unknown key', { authority: { ...authority, keyId: 'nope' } }, /unknown key id "nope"/],
  ])('refuses %s', (_what, change, reason) => {
    const verdict = checkStartAuthority(testDecisionKeys, { ...start, ...change });
    expect(verdict).toEqual({ authorised: false, reason: expect.stringMatching(reason) });
  });

  it('refuses one signed with a key the workers do not hold', () => {
    const forged = authoriseStart(foreignDecisionKeys, 'releaseWorkflowV2', 'r-1', input, issuedAt);
    expect(checkStartAuthority(testDecisionKeys, { ...start, authority: forged })).toMatchObject({
      authorised: false,
      reason: expect.stringMatching(/signature does not match/),
    });
  });

  it('can be checked without its age, as the API does before adopting a running start', () => {
    const { startTime: _ignored, ...ageless } = start;
    expect(checkStartAuthority(testDecisionKeys, { ...ageless, startTime: undefined })).toEqual({
      authorised: true,
    });
  });
});

describe('payloads that arrive unsealed at a worker', () => {
  const sealedCodec = new PayloadEncryptionCodec(testPayloadKeys);
  const inbound = new InboundScreeningCodec(sealedCodec);
  const arrive = async (payload: Payload) =>
    payloadConverter.fromPayload(((await inbound.decode([payload])) as Payload[])[0] as Payload);

  it('tags a value sent in clear, and not one sealed with Runway’s key', async () => {
    const value = { claim: '{}', keyId: 'k', signature: 's' };
    const clear = await arrive(defaultPayloadConverter.toPayload(value) as Payload);
    expect(clear).toEqual(value);
    expect(untrustedOrigin(clear)).toMatch(/sent in clear/);
    const [sealed] = await sealedCodec.encode([defaultPayloadConverter.toPayload(value) as Payload]);
    const opened = await arrive(sealed as Payload);
    expect(opened).toEqual(value);
    expect(untrustedOrigin(opened)).toBeUndefined();
  });

  it('does not throw for a payload sealed with another key: it stands for nothing and says why', async () => {
    const otherKeys = parsePayloadKeys(`test-p1:${Buffer.alloc(32, 1).toString('base64url')}`, 'other');
    const [foreign] = await new PayloadEncryptionCodec(otherKeys).encode([
      defaultPayloadConverter.toPayload({ approve: true }) as Payload,
    ]);
    const value = (await arrive(foreign as Payload)) as Record<string, unknown>;
    expect(untrustedOrigin(value)).toMatch(/could not be decrypted \(.*failed its integrity check/);
    expect(() => value.approve).toThrow(/add its key back to RUNWAY_PAYLOAD_KEYS/);
    expect(value.then).toBeUndefined();
  });
});
