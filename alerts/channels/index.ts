// The configured channels by name (runway.yml `alerts.channels`), built per delivery so a changed
// environment variable is read anew.
import type { AlertingSettings } from '../alert-message.js';
import { type AlertChannel, SEND_TIMEOUT_MS } from './alert-channel.js';
import { EmailChannel } from './email-channel.js';
import { slackChannel } from './slack-channel.js';
import { WebhookChannel } from './webhook-channel.js';
import { WecomChannel } from './wecom-channel.js';

export type { AlertChannel } from './alert-channel.js';
export { AlertNotDelivered } from './alert-channel.js';

export function createChannel(settings: AlertingSettings, name: string): AlertChannel | undefined {
  const config = settings.alerts.channels[name];
  if (!config) return undefined;
  const setup = { env: settings.env, timeoutMs: settings.sendTimeoutMs ?? SEND_TIMEOUT_MS };
  switch (config.type) {
    case 'webhook':
      return new WebhookChannel(name, config.urlEnv, setup);
    case 'wecom':
      return new WecomChannel(name, config.urlEnv, setup);
    case 'slack':
      return slackChannel(name, config.urlEnv, setup);
    case 'email':
      return new EmailChannel(name, config, setup);
  }
}
