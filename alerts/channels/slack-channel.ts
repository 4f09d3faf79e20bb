// A Slack-compatible incoming webhook (Slack, Mattermost, Rocket.Chat): `text` for notifications and
// clients without blocks, and one section block with the same fields in mrkdwn.
import { type AlertMessage, alertFields, alertHeadline } from '../alert-message.js';
import type { AlertChannel, ChannelSetup } from './alert-channel.js';
import { postJson, webhookUrl } from './http-post.js';

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

export class SlackChannel implements AlertChannel {
  readonly type = 'slack';

  constructor(
    readonly name: string,
    private readonly urlEnv: string,
    private readonly setup: ChannelSetup,
  ) {}

  async send(message: AlertMessage): Promise<void> {
    // Slack answers "ok"; compatible servers answer other bodies, so only the status is judged.
    await postJson(
      this.name,
      webhookUrl(this.name, this.urlEnv, this.setup.env),
      slackMessage(message),
      this.setup.timeoutMs,
    );
  }
}
