// The API's HTTPS certificate and key, read when it starts (api.tls, RUNWAY_API_TLS_*).
import type { RunwaySettings } from './config-schema.js';
import { API_TLS_ENV } from './environment-overrides.js';
import { readPemFile } from './tls-files.js';

export interface ApiTlsCredentials {
  /** PEM: the certificate, and any intermediates after it. */
  cert: Buffer;
  key: Buffer;
}

/** Undefined without api.tls: the API then serves plain HTTP. */
export function apiTlsCredentials(settings: Pick<RunwaySettings, 'api'>): ApiTlsCredentials | undefined {
  const { tls } = settings.api;
  if (!tls) return undefined;
  return {
    cert: readPemFile('api.tls.certFile', API_TLS_ENV.certFile, tls.certFile),
    key: readPemFile('api.tls.keyFile', API_TLS_ENV.keyFile, tls.keyFile),
  };
}
