// The health check of Runway's containers (the image has no curl): `api` is healthy when the API
// answers GET /readyz with 200 (PostgreSQL and Temporal reachable), over HTTPS when it serves HTTPS;
// `worker` when the worker serves /metrics, which it does from its start until it has drained.
// Exit 0: healthy; 1: not.
import http from 'node:http';
import https from 'node:https';

const role = process.argv[2];
const env = process.env;
const portOf = (address) => Number(String(address).split(':').pop());
const target =
  role === 'api'
    ? {
        client: env.RUNWAY_API_TLS_CERT_FILE ? https : http,
        port: Number(env.RUNWAY_API_PORT || 3001),
        path: '/readyz',
      }
    : role === 'worker'
      ? { client: http, port: portOf(env.RUNWAY_WORKER_METRICS_LISTEN || '127.0.0.1:9465'), path: '/metrics' }
      : undefined;
if (!target) {
  console.error('usage: runway-healthcheck.mjs api|worker');
  process.exit(1);
}
const request = target.client.get(
  // The API's certificate names its public address, not 127.0.0.1: this asks whether the process
  // on this container answers, not who it is.
  { host: '127.0.0.1', port: target.port, path: target.path, timeout: 4_000, rejectUnauthorized: false },
  (response) => {
    response.resume();
    process.exit(response.statusCode === 200 ? 0 : 1);
  },
);
request.on('timeout', () => request.destroy(new Error('timed out')));
request.on('error', (error) => {
  console.error(error.message);
  process.exit(1);
});
