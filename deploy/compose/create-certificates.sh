#!/bin/sh
# The cluster's private CA and the certificates it issues, as stack/cluster/cluster-certificates.ts
# makes them for `npm run cluster` (with stack/private-ca.ts: OpenSSL 3, ECDSA P-256, one
# `req -x509` per certificate, a config of its own so the image's openssl.cnf adds nothing): one
# certificate for the Temporal nodes (serving, and reaching each other), and a client certificate for
# each kind of caller of the frontends. The frontends accept only certificates of this CA.
#
# The CA is made once and kept, so certificates issued on a later run stay trusted by everything
# started before it; the others are issued anew on every run (valid a year: run
# `docker compose up certificates` within one, then restart what uses them).
#
# Each folder below is a volume of its own, mounted only where it is needed: the CA's key only here,
# the nodes' key only on the nodes, each client's key only on that client — a worker, which runs the
# services' deploy commands, never holds a key that could pose as a Temporal node or sign another.
set -eu

root="${TLS_ROOT:-/tls}"
# The Temporal server, Temporal Web and Runway's image all run as uid 1000; the CA's key stays root's.
owner="${CERTIFICATE_OWNER:-1000:1000}"
server_name="${CLUSTER_SERVER_NAME:-temporal.runway.internal}"
ca_days=3650
leaf_days=365
umask 077

authority="$root/authority"
mkdir -p "$authority" "$root/temporal-node" "$root/temporal-admin" "$root/temporal-web" "$root/runway"

# issue <self|ca> <out stem> <common name> <extensions…>: self-signed (the CA), or signed by the CA.
# Written beside and renamed into place, so a node starting meanwhile never reads half a file.
issue() {
  signer="$1"
  stem="$2"
  common_name="$3"
  shift 3
  config="$(mktemp)"
  {
    printf '[req]\ndistinguished_name = subject\nprompt = no\nx509_extensions = extensions\n'
    printf '[subject]\nCN = %s\n[extensions]\n' "$common_name"
    for extension in "$@"; do printf '%s\n' "$extension"; done
  } >"$config"
  if [ "$signer" = ca ]; then
    set -- -days "$leaf_days" -CA "$authority/ca.pem" -CAkey "$authority/ca.key"
  else
    set -- -days "$ca_days"
  fi
  openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$stem.key.new" -out "$stem.pem.new" -config "$config" "$@"
  rm -f "$config"
  chmod 600 "$stem.key.new"
  chmod 644 "$stem.pem.new"
  mv "$stem.key.new" "$stem.key"
  mv "$stem.pem.new" "$stem.pem"
}

if [ -f "$authority/ca.pem" ] && [ -f "$authority/ca.key" ]; then
  echo "reusing the CA in $authority"
elif [ -f "$authority/ca.pem" ] || [ -f "$authority/ca.key" ]; then
  # Replacing half a CA would silently untrust every certificate it issued.
  echo "$authority holds only half a CA (ca.pem and ca.key go together)" >&2
  exit 1
else
  issue self "$authority/ca" "Runway cluster CA" \
    'basicConstraints = critical,CA:TRUE,pathlen:0' \
    'keyUsage = critical,keyCertSign,cRLSign' \
    'subjectKeyIdentifier = hash'
  echo "created the CA in $authority"
fi

leaf() {
  issue ca "$@" \
    'basicConstraints = critical,CA:FALSE' \
    'keyUsage = critical,digitalSignature' \
    'subjectKeyIdentifier = hash' \
    'authorityKeyIdentifier = keyid'
}

# The nodes' certificate: clients reach a node by an address, and check this name instead.
leaf "$root/temporal-node/temporal-node" "$server_name" \
  'extendedKeyUsage = serverAuth,clientAuth' \
  "subjectAltName = DNS:$server_name,DNS:localhost,IP:127.0.0.1"
leaf "$root/runway/runway" runway-runway 'extendedKeyUsage = clientAuth'
leaf "$root/temporal-admin/admin" runway-admin 'extendedKeyUsage = clientAuth'
leaf "$root/temporal-web/temporal-web" runway-temporal-web 'extendedKeyUsage = clientAuth'

for folder in temporal-node temporal-admin temporal-web runway; do
  cp "$authority/ca.pem" "$root/$folder/ca.pem"
  chmod 644 "$root/$folder/ca.pem"
  if [ "$(id -u)" = 0 ]; then chown -R "$owner" "$root/$folder"; fi
done
echo "certificates issued for $server_name"
