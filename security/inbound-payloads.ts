// The codec of Runway's workers: seals what they send like every Runway client, and marks what
// arrives unsealed instead of trusting it. Only Runway's clients and workers hold the payload key,
// so a payload in clear, or sealed with a key this worker does not have, was not sent by them: the
// payload converter (payload-converter.cjs) tags such values, and the workflow's entry points refuse
// them and record why. Decoding never throws: a throwing codec would fail a legitimate release's
// workflow tasks for ever over one forged signal. Clients keep the plain encryption codec.
import type { Payload, PayloadCodec } from '@temporalio/common';
import { isEncrypted, type PayloadEncryptionCodec } from './payload-codec.js';

/** Metadata the codec adds; keep equal to the keys in payload-converter.cjs. */
export const INBOUND_MARKS = { inClear: 'runway-in-clear', undecryptable: 'runway-undecryptable' } as const;

const NULL_ENCODING = Buffer.from('binary/null');

export class InboundScreeningCodec implements PayloadCodec {
  constructor(private readonly sealed: PayloadEncryptionCodec) {}

  encode(payloads: Payload[]): Promise<Payload[]> {
    return this.sealed.encode(payloads);
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return Promise.all(payloads.map((payload) => this.#decodeOne(payload)));
  }

  async #decodeOne(payload: Payload): Promise<Payload> {
    if (!isEncrypted(payload)) {
      return { ...payload, metadata: { ...payload.metadata, [INBOUND_MARKS.inClear]: Buffer.from('1') } };
    }
    try {
      const [opened] = await this.sealed.decode([payload]);
      return opened as Payload;
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      return { metadata: { encoding: NULL_ENCODING, [INBOUND_MARKS.undecryptable]: Buffer.from(reason) } };
    }
  }
}
