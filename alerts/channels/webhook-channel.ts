// The generic JSON webhook: the alert as Runway's own document (alert-message.ts), for any receiver.
import type { AlertMessage } from '../alert-message.js';
import type { AlertChannel, ChannelSetup } from './alert-channel.js';
import { postJson, webhookUrl } from './http-post.js';

export class WebhookChannel implements AlertChannel {
  readonly type = 'webhook';

  constructor(
    readonly name: string,
    private readonly urlEnv: string,
    private readonly setup: ChannelSetup,
  ) {}

  async send(message: AlertMessage): Promise<void> {
    await postJson(
      this.name,
      webhookUrl(this.name, this.urlEnv, this.setup.env),
      message,
      this.setup.timeoutMs,
    );
  }
}
