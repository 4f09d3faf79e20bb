#!/bin/sh
# Creates the namespace and registers Runway's search attributes (see workflows/search-attributes.ts).
set -eu
ns="${DEFAULT_NAMESPACE:-default}"
temporal operator namespace describe -n "$ns" >/dev/null 2>&1 || temporal operator namespace create -n "$ns" --retention 30d
for attribute in RunwayService RunwayReleaseType RunwayVersion RunwayStatus RunwayEnvironment; do
  temporal operator search-attribute create -n "$ns" --name "$attribute" --type Keyword || true
done
for attribute in RunwayEnvironments; do
  temporal operator search-attribute create -n "$ns" --name "$attribute" --type KeywordList || true
done
echo "namespace $ns ready"
