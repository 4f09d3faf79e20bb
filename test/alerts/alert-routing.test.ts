// Which channels an alert goes to (R-ALERT): by level, except stage changes (the release's channel).
import { describe, expect, it } from 'vitest';
import {
  ALERT_LEVEL_INFO,
  type AlertsConfig,
  routeAlert,
  unknownRouteChannels,
} from '../../alerts/alert-routing.js';

const alerts: AlertsConfig = {
  channels: {
    'oncall-wecom': { type: 'wecom', urlEnv: 'WECOM_URL' },
    'ops-webhook': { type: 'webhook', urlEnv: 'WEBHOOK_URL' },
    'releases-slack': { type: 'slack', urlEnv: 'SLACK_URL' },
    'web-slack': { type: 'slack', urlEnv: 'WEB_SLACK_URL' },
    'ops-mail': {
      type: 'email',
      smtp: { host: 'smtp.example.com', port: 587, secure: false },
      from: 'runway@example.com',
      to: ['ops@example.com'],
    },
  },
  routes: {
    P0: ['oncall-wecom', 'ops-webhook', 'oncall-wecom'],
    P1: ['oncall-wecom'],
    P2: ['oncall-wecom', 'ops-mail'],
    P3: ['ops-mail', 'typo-channel'],
  },
  announcements: { default: 'releases-slack', services: { 'edm-web': 'web-slack' } },
  deliveryAttempts: 5,
};

describe('routeAlert', () => {
  it('sends an alert to the channels of its level, each once', () => {
    expect(routeAlert(alerts, { level: 'P0', kind: 'compensation-failed', service: 'edm-web' })).toEqual([
      'oncall-wecom',
      'ops-webhook',
    ]);
    expect(routeAlert(alerts, { level: 'P2', kind: 'rolled-back', service: 'edm-sender' })).toEqual([
      'oncall-wecom',
      'ops-mail',
    ]);
  });

  it('sends an escalation to the routes of its level', () => {
    expect(routeAlert(alerts, { level: 'P1', kind: 'escalation', service: 'edm-web' })).toEqual([
      'oncall-wecom',
    ]);
  });

  it("announces a stage change only in the release's channel: the service's, else the default", () => {
    expect(routeAlert(alerts, { level: 'P3', kind: 'stage-changed', service: 'edm-web' })).toEqual([
      'web-slack',
    ]);
    expect(routeAlert(alerts, { level: 'P3', kind: 'stage-changed', service: 'edm-sender' })).toEqual([
      'releases-slack',
    ]);
    const noDefault = { ...alerts, announcements: { services: { 'edm-web': 'web-slack' } } };
    expect(routeAlert(noDefault, { level: 'P3', kind: 'stage-changed', service: 'edm-sender' })).toEqual([]);
  });

  it('skips a route naming a channel nobody configured, and says which at start', () => {
    expect(routeAlert(alerts, { level: 'P3', kind: 'post-hoc-reminder', service: 'edm-web' })).toEqual([
      'ops-mail',
    ]);
    expect(unknownRouteChannels(alerts)).toEqual(['typo-channel']);
  });

  it('routes nothing with the shipped default (no channels)', () => {
    const none: AlertsConfig = {
      channels: {},
      routes: { P0: [], P1: [], P2: [], P3: [] },
      announcements: { services: {} },
      deliveryAttempts: 5,
    };
    for (const level of ['P0', 'P1', 'P2', 'P3'] as const) {
      expect(routeAlert(none, { level, kind: 'waiting-decision', service: 'edm-web' })).toEqual([]);
    }
    expect(unknownRouteChannels(none)).toEqual([]);
  });

  it("carries the seed's response times", () => {
    expect(Object.values(ALERT_LEVEL_INFO).map((info) => info.responseMinutes)).toEqual([5, 15, 30, 60]);
  });
});
