// A channel takes an alert's message somewhere people see it. Sending throws when the receiver did not
// take it, with a message that names the channel but never its URL's secret part.
import type { AlertMessage } from '../alert-message.js';

export interface AlertChannel {
  readonly name: string;
  readonly type: 'webhook' | 'wecom' | 'slack' | 'email';
  send(message: AlertMessage): Promise<void>;
}

/** What a channel is built with: where its secrets are read, and how long a send may take. */
export interface ChannelSetup {
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
}

/** Every send gives up after this long: a receiver that hangs must not hold the activity. */
export const SEND_TIMEOUT_MS = 10_000;

/** A receiver refused or never answered: the delivery activity retries, then records it. */
export class AlertNotDelivered extends Error {
  override name = 'AlertNotDelivered';
}
