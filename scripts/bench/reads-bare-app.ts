// The baseline the read benchmark measures Runway's API against: a bare hono + pg app on the same
// PostgreSQL doing, per request, the work a read cannot do without — the bearer token's digest
// compared in constant time, the SELECTs that assemble the release (the five a read made before
// Runway kept assembled releases by record version: release-record-cache.ts), or the list's one
// SELECT as Runway makes it, and one audit INSERT committed before the answer, the rows as JSON.
// What it leaves out is what Runway adds: request ids, logs, metrics, role checks, per-reader
// filtering, shaping and validation — and what Runway saves: the cache, and the audit entries of
// concurrent requests committed together (db/audit-log.ts).
//
//   node --import tsx scripts/bench/reads-bare-app.ts   (env: DATABASE_URL, PORT, BENCH_TOKEN)
import { createHash, timingSafeEqual } from 'node:crypto';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import pg from 'pg';
import { RELEASE_COLUMNS, SUMMARY_COLUMNS } from '../../db/release-records.js';

const INSERT_EVENT = `INSERT INTO audit_events
    (actor, action, target, environment, outcome, status, reason, request_id, details)
  VALUES ($1, $2, $3, COALESCE((SELECT COALESCE(pending_gate->>'environment', current_environment)
    FROM releases WHERE id = $10), $4), $5, $6, $7, $8, $9)`;

const ENVIRONMENTS = ['development', 'test', 'staging', 'production'];

const digest = (token: string) => createHash('sha256').update(token).digest();

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

const pool = new pg.Pool({ connectionString: required('DATABASE_URL'), max: 10 });
const known = digest(required('BENCH_TOKEN'));

function authorized(header: string | undefined): boolean {
  const token = /^Bearer +(\S+)$/i.exec(header ?? '')?.[1];
  return token !== undefined && timingSafeEqual(digest(token), known);
}

const audit = (action: string, target: string | null, status: number, releaseId: string | null) =>
  pool.query(INSERT_EVENT, [
    'bench',
    action,
    target,
    null,
    status < 400 ? 'allowed' : 'refused',
    status,
    null,
    null,
    null,
    releaseId,
  ]);

const app = new Hono();

app.get('/healthz', (c) => c.text('ok'));

app.get('/api/v1/releases/:id', async (c) => {
  if (!authorized(c.req.header('authorization'))) return c.json({ error: 'unauthorized' }, 401);
  const id = c.req.param('id');
  const release = await pool.query(`SELECT ${RELEASE_COLUMNS} FROM releases WHERE id = $1`, [id]);
  const [steps, decisions, alerts, deliveries] = await Promise.all([
    pool.query(
      `SELECT step_id, name, environment, kind, status, started_at, finished_at, detail, error
         FROM release_steps WHERE release_id = $1 ORDER BY started_at, step_id`,
      [id],
    ),
    pool.query(
      `SELECT seq, decision_id, gate_id, actor, roles, decision, comment, outcome, refusal, reason, seat, via,
         decided_at, environment FROM release_decisions WHERE release_id = $1 ORDER BY seq`,
      [id],
    ),
    pool.query(
      `SELECT alert_key, level, kind, step_id, environment, message, details, audience, raised_at, r.service
         FROM release_alerts a JOIN releases r ON r.id = a.release_id WHERE a.release_id = $1 ORDER BY a.id`,
      [id],
    ),
    pool.query(
      `SELECT alert_key, channel, channel_type, outcome, attempts, error, at
         FROM release_alert_deliveries WHERE release_id = $1 ORDER BY id`,
      [id],
    ),
  ]);
  const status = release.rows[0] ? 200 : 404;
  await audit('releases.get', id, status, id);
  if (status === 404) return c.json({ error: 'not_found' }, 404);
  return c.json(
    {
      ...release.rows[0],
      steps: steps.rows,
      decisions: decisions.rows,
      alerts: alerts.rows,
      deliveries: deliveries.rows,
    },
    200,
  );
});

app.get('/api/v1/releases', async (c) => {
  if (!authorized(c.req.header('authorization'))) return c.json({ error: 'unauthorized' }, 401);
  const limit = Number(c.req.query('limit') ?? 20);
  const { rows } = await pool.query(
    `SELECT ${SUMMARY_COLUMNS} FROM releases WHERE environments && $1::text[] ORDER BY created_at DESC LIMIT $2`,
    [ENVIRONMENTS, limit],
  );
  await audit('releases.list', '/api/v1/releases', 200, null);
  return c.json({ releases: rows }, 200);
});

const server = serve({ fetch: app.fetch, port: Number(required('PORT')), hostname: '127.0.0.1' }, () =>
  console.log('listening'),
);
process.once('SIGTERM', () => {
  server.close();
  void pool.end().finally(() => process.exit(0));
});
