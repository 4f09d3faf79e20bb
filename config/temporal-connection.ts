// How every Runway process reaches Temporal: the address, and with temporal.tls the CA and client
// certificate for mTLS. One shape serves @temporalio/client's Connection.connect and
// @temporalio/worker's NativeConnection.connect: both take this `tls`.
import type { TLSConfig } from '@temporalio/client';
import type { RunwaySettings } from './config-schema.js';
import { TEMPORAL_TLS_ENV } from './environment-overrides.js';
import { readPemFile } from './tls-files.js';

export interface TemporalConnectionOptions {
  address: string;
  /** Absent: plain gRPC. */
  tls?: TLSConfig;
}

/** Reads the certificate files now, so a missing one stops the start with its setting's name. */
export function temporalConnectionOptions(
  settings: Pick<RunwaySettings, 'temporal'>,
): TemporalConnectionOptions {
  const { address, tls } = settings.temporal;
  if (!tls) return { address };
  const read = (field: 'caFile' | 'certFile' | 'keyFile') =>
    readPemFile(`temporal.tls.${field}`, TEMPORAL_TLS_ENV[field], tls[field]);
  return {
    address,
    tls: {
      serverRootCACertificate: read('caFile'),
      clientCertPair: { crt: read('certFile'), key: read('keyFile') },
      ...(tls.serverName ? { serverNameOverride: tls.serverName } : {}),
    },
  };
}
