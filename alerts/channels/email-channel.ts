// Mail over SMTP (nodemailer): to the channel's own addresses and to the alert's audience, a plain
// text body with the same fields and links as every other channel.
import nodemailer from 'nodemailer';
import type { RunwaySettings } from '../../config/config-schema.js';
import { type AlertMessage, alertFields, alertHeadline } from '../alert-message.js';
import { type AlertChannel, AlertNotDelivered, type ChannelSetup } from './alert-channel.js';

type EmailChannelConfig = Extract<RunwaySettings['alerts']['channels'][string], { type: 'email' }>;

export function emailBody(message: AlertMessage): string {
  const fields = alertFields(message).map(([label, value]) => `${label}: ${value}`);
  const audience = message.audience.map((member) => member.identity);
  return [
    message.message,
    '',
    ...fields,
    ...(audience.length > 0 ? [`For: ${audience.join(', ')}`] : []),
    `Kind: ${message.kind}`,
    '',
  ].join('\n');
}

export function emailRecipients(config: EmailChannelConfig, message: AlertMessage): string[] {
  const audience = message.audience.flatMap((member) => (member.email ? [member.email] : []));
  return [...new Set([...config.to, ...audience])];
}

export class EmailChannel implements AlertChannel {
  readonly type = 'email';

  constructor(
    readonly name: string,
    private readonly config: EmailChannelConfig,
    private readonly setup: ChannelSetup,
  ) {}

  async send(message: AlertMessage): Promise<void> {
    const { smtp } = this.config;
    const transport = nodemailer.createTransport({
      host: smtp.host,
      port: smtp.port,
      secure: smtp.secure,
      ...this.#auth(),
      connectionTimeout: this.setup.timeoutMs,
      greetingTimeout: this.setup.timeoutMs,
      socketTimeout: this.setup.timeoutMs,
    });
    try {
      await transport.sendMail({
        from: this.config.from,
        to: emailRecipients(this.config, message),
        subject: alertHeadline(message),
        text: emailBody(message),
      });
    } catch (error) {
      throw new AlertNotDelivered(
        `channel ${this.name}: SMTP ${smtp.host}:${smtp.port} did not take the mail: ${error instanceof Error ? error.message : String(error)}`,
      );
    } finally {
      transport.close();
    }
  }

  #auth(): { auth?: { user: string; pass: string } } {
    const { userEnv, passwordEnv } = this.config.smtp;
    if (userEnv === undefined) return {};
    const user = this.setup.env[userEnv];
    const pass = passwordEnv === undefined ? undefined : this.setup.env[passwordEnv];
    if (!user || pass === undefined) {
      throw new AlertNotDelivered(
        `channel ${this.name}: the worker's environment lacks ${[userEnv, passwordEnv].filter(Boolean).join(' or ')} for SMTP login`,
      );
    }
    return { auth: { user, pass } };
  }
}
