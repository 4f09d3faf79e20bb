// Where each Runway process serves /metrics (runway.yml metrics.listen, or the environment's
// RUNWAY_API_METRICS_LISTEN / RUNWAY_WORKER_METRICS_LISTEN): never the API's public port, whose
// clients hold tokens, not scrapers.
import type { RunwaySettings } from '../config/config-schema.js';
import { METRICS_LISTEN_ENV } from '../config/environment-overrides.js';

export type MetricsRole = keyof typeof METRICS_LISTEN_ENV;

export interface ListenAddress {
  /** As a socket takes it: brackets removed from an IPv6 address. */
  host: string;
  port: number;
  /** As configured, for messages. */
  text: string;
}

export function parseListenAddress(text: string): ListenAddress {
  const colon = text.lastIndexOf(':');
  const host = text.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
  const port = Number(text.slice(colon + 1));
  if (colon < 1 || host === '' || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`expected host:port for a metrics address, e.g. 127.0.0.1:9464: ${text}`);
  }
  return { host, port, text };
}

/** The role's configured address; refuses the API's public port, where /metrics must never be. */
export function metricsAddressFor(
  settings: Pick<RunwaySettings, 'api' | 'metrics'>,
  role: MetricsRole,
): ListenAddress {
  const address = parseListenAddress(settings.metrics.listen[role]);
  if (address.port === settings.api.port) {
    throw new Error(
      `metrics.listen.${role} (${address.text}) is the API's public port ${settings.api.port}: /metrics is served apart from it; choose another port in runway.yml or ${METRICS_LISTEN_ENV[role]}`,
    );
  }
  return address;
}

/** How to reach what listens at `address` from this host (a wildcard is not a destination). */
export function urlOf(address: { host: string; port: number }, path: string): string {
  const host = address.host === '0.0.0.0' ? '127.0.0.1' : address.host === '::' ? '::1' : address.host;
  return `http://${host.includes(':') ? `[${host}]` : host}:${address.port}${path}`;
}
