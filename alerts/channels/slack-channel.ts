// A Slack-compatible incoming webhook (Slack, Mattermost, Rocket.Chat): `text` for notifications and
// clients without blocks, and one section block with the same fields in mrkdwn.
import { type AlertMessage, alertFields, alertHeadline } from '../alert-message.js';
import type { ChannelSetup } from './alert-channel.js';
import { WebhookChannel } from './webhook-channel.js';

/** Slack's mrkdwn treats these three as control characters. */
const escapeMrkdwn = (text: string) =>
  text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');

/** Section text may not be longer than this. */
const SECTION_LIMIT = 3000;

export function slackMessage(message: AlertMessage) {
  const fields = alertFields(message);
  const audience = message.audience.map((member) => member.identity);
  const text = [
    alertHeadline(message),
    ...fields.map(([label, value]) => `${label}: ${value}`),
    ...(audience.length > 0 ? [`For: ${audience.join(', ')}`] : []),
  ].join('\n');
  const section = [
    `*${escapeMrkdwn(alertHeadline(message))}*`,
    ...fields
      .filter(([label]) => label !== 'Release (API)' && label !== 'Temporal Web')
      .map(([label, value]) => `*${label}:* ${escapeMrkdwn(value)}`),
    `<${message.links.release}|Release (API)> · <${message.links.temporal}|Temporal Web>`,
    ...(audience.length > 0 ? [`*For:* ${escapeMrkdwn(audience.join(', '))}`] : []),
  ].join('\n');
  return {
    text,
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text: section.slice(0, SECTION_LIMIT) } }],
  };
}

/** A Slack-compatible incoming webhook (Slack, Mattermost, Rocket.Chat). */
export function slackChannel(name: string, urlEnv: string, setup: ChannelSetup): WebhookChannel {
  return new WebhookChannel(name, urlEnv, setup, 'slack', slackMessage);
}
