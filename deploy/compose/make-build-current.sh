#!/bin/sh
# Makes the workers' build current in the `runway` worker deployment (worker/worker-deployment.ts),
# as `npm run cluster` does once its workers poll: a versioned worker gets no task of a release until
# its build is current. The server knows a build only once its workers have polled, so this retries.
set -eu
build="${RUNWAY_BUILD_ID:?set RUNWAY_BUILD_ID}"
attempt=1
until output="$(temporal worker deployment set-current-version --yes \
  --deployment-name "${RUNWAY_WORKER_DEPLOYMENT:-runway}" --build-id "$build" \
  --address "$TEMPORAL_ADDRESS" --tls-ca-path "$TLS_DIR/ca.pem" \
  --tls-cert-path "$TLS_DIR/admin.pem" --tls-key-path "$TLS_DIR/admin.key" \
  --tls-server-name "$TLS_SERVER_NAME" 2>&1)"; do
  if [ "$attempt" -ge 60 ]; then
    printf 'build %s not made current: %s\n' "$build" "$output" >&2
    exit 1
  fi
  attempt=$((attempt + 1))
  sleep 2
done
echo "build $build is current"
