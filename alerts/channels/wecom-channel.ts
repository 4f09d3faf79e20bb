// A WeCom group robot (企业微信群机器人): a markdown message, mentioning the audience by their WeCom
// user ids (`<@userid>`). The robot answers HTTP 200 even when it refuses; its {errcode, errmsg} says.
import { type AlertMessage, alertFields, alertHeadline } from '../alert-message.js';
import { type AlertChannel, AlertNotDelivered, type ChannelSetup } from './alert-channel.js';
import { postJson, shownUrl, webhookUrl } from './http-post.js';

/** The robot refuses markdown content longer than this (bytes of UTF-8). */
const WECOM_MARKDOWN_LIMIT = 4096;

export function wecomMarkdown(message: AlertMessage): string {
  const colour = message.level === 'P0' || message.level === 'P1' ? 'warning' : 'comment';
  const fields = alertFields(message)
    .filter(([label]) => label !== 'Release (API)' && label !== 'Temporal Web')
    .map(
      ([label, value]) =>
        `> ${label}: ${label === 'Level' ? `<font color="${colour}">${value}</font>` : value}`,
    );
  const mentions = message.audience.flatMap((member) =>
    member.wecomUserId ? [`<@${member.wecomUserId}>`] : [],
  );
  const lines = [
    `**${alertHeadline(message)}**`,
    ...fields,
    `[Release (API)](${message.links.release})  [Temporal Web](${message.links.temporal})`,
    ...(mentions.length > 0 ? [mentions.join(' ')] : []),
  ];
  return fitBytes(lines.join('\n'), WECOM_MARKDOWN_LIMIT);
}

function fitBytes(text: string, limit: number): string {
  if (Buffer.byteLength(text) <= limit) return text;
  let cut = text.slice(0, limit - 3);
  while (Buffer.byteLength(`${cut}...`) > limit) cut = cut.slice(0, -1);
  return `${cut}...`;
}

export class WecomChannel implements AlertChannel {
  readonly type = 'wecom';

  constructor(
    readonly name: string,
    private readonly urlEnv: string,
    private readonly setup: ChannelSetup,
  ) {}

  async send(message: AlertMessage): Promise<void> {
    const url = webhookUrl(this.name, this.urlEnv, this.setup.env);
    const answer = await postJson(
      this.name,
      url,
      {
        msgtype: 'markdown',
        markdown: { content: wecomMarkdown(message) },
      },
      this.setup.timeoutMs,
    );
    let result: { errcode?: unknown; errmsg?: unknown };
    try {
      result = JSON.parse(answer.body);
    } catch {
      throw new AlertNotDelivered(`channel ${this.name}: ${shownUrl(url)} did not answer like a WeCom robot`);
    }
    if (result.errcode !== 0) {
      throw new AlertNotDelivered(
        `channel ${this.name}: the WeCom robot refused the message: errcode ${String(result.errcode)} (${String(result.errmsg)})`,
      );
    }
  }
}
