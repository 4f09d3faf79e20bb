#!/bin/sh
# Creates the namespace and registers Runway's search attributes (see workflows/search-attributes.ts),
# through the balancer with the admin's client certificate, as stack/cluster/temporal-cluster.ts does.
set -eu
ns="${DEFAULT_NAMESPACE:-default}"
temporal_cli() {
  temporal "$@" --address "$TEMPORAL_ADDRESS" --tls-ca-path "$TLS_DIR/ca.pem" \
    --tls-cert-path "$TLS_DIR/admin.pem" --tls-key-path "$TLS_DIR/admin.key" \
    --tls-server-name "$TLS_SERVER_NAME"
}
# A namespace just registered is not known to every frontend at once (two nodes behind one address):
# each step is retried for a while rather than ignored.
retried() {
  attempt=1
  until output="$("$@" 2>&1)" || printf '%s' "$output" | grep -qi 'already'; do
    if [ "$attempt" -ge 40 ]; then
      printf '%s\n' "$output" >&2
      return 1
    fi
    attempt=$((attempt + 1))
    sleep 1
  done
}
retried temporal_cli operator namespace create -n "$ns" --retention 30d
register() { retried temporal_cli operator search-attribute create -n "$ns" --name "$@"; }
for attribute in RunwayService RunwayReleaseType RunwayVersion RunwayStatus RunwayEnvironment; do
  register "$attribute" --type Keyword
done
for attribute in RunwayEnvironments; do
  register "$attribute" --type KeywordList
done
echo "namespace $ns ready"
