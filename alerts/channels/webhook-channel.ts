// Channels that POST JSON to a webhook: the generic one sends the alert as Runway's own document
// (alert-message.ts), for any receiver; others (Slack-compatible) send it in their own format.
import type { AlertMessage } from '../alert-message.js';
import type { AlertChannel, ChannelSetup } from './alert-channel.js';
import { postJson, webhookUrl } from './http-post.js';

export class WebhookChannel implements AlertChannel {
  constructor(
    readonly name: string,
    private readonly urlEnv: string,
    private readonly setup: ChannelSetup,
    readonly type: 'webhook' | 'slack' = 'webhook',
    private readonly format: (message: AlertMessage) => unknown = (message) => message,
  ) {}

  async send(message: AlertMessage): Promise<void> {
    // Only the status is judged: Slack answers "ok", compatible servers other bodies.
    await postJson(
      this.name,
      webhookUrl(this.name, this.urlEnv, this.setup.env),
      this.format(message),
      this.setup.timeoutMs,
    );
  }
}
