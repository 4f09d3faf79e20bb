// The cluster's private CA and the certificates issued from it, kept in the state folder so a
// restart reuses them: one for the Temporal nodes (serving, and reaching each other), and a client
// certificate for each kind of caller of the frontends (Runway's processes, the set-up tools,
// Temporal Web). The frontends accept only certificates from this CA.
import { join } from 'node:path';
import { type CertificateFiles, createPrivateCa, issueCertificate, openPrivateCa } from '../private-ca.js';

/** The name every node's certificate carries; clients check it (they reach nodes by 127.0.0.1). */
export const CLUSTER_SERVER_NAME = 'temporal.runway.internal';

export interface ClusterCertificates {
  node: CertificateFiles & { caFile: string; serverName: string };
  runway: CertificateFiles;
  admin: CertificateFiles;
  web: CertificateFiles;
}

export async function provideClusterCertificates(dir: string): Promise<ClusterCertificates> {
  const ca = (await openPrivateCa(dir)) ?? (await createPrivateCa(dir, { commonName: 'Runway cluster CA' }));
  const issued = join(dir, 'issued');
  const client = (name: string) =>
    issueCertificate(ca, { name, commonName: `runway-${name}`, usage: 'client', dir: issued });
  const node = await issueCertificate(ca, {
    name: 'temporal-node',
    commonName: CLUSTER_SERVER_NAME,
    usage: 'server-and-client',
    dnsNames: [CLUSTER_SERVER_NAME, 'localhost'],
    ipAddresses: ['127.0.0.1'],
    dir: issued,
  });
  return {
    node: { ...node, caFile: ca.certFile, serverName: CLUSTER_SERVER_NAME },
    runway: await client('runway'),
    admin: await client('admin'),
    web: await client('temporal-web'),
  };
}
