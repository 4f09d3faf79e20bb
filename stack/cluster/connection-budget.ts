// How many PostgreSQL connections the cluster may hold at once. Every Temporal service of a node
// (frontend, history, matching, and the system worker on the first) opens pools of its own, and
// every Runway process one; all of them share one PostgreSQL. Its default of 100 connections ran
// out under load (500 releases at once: approvals answered 500, "remaining connection slots are
// reserved"), so the embedded PostgreSQL is started with room for all of them, and a PostgreSQL of
// one's own is checked for it.
import { TEMPORAL_POOL_SIZES } from './temporal-node-config.js';

/** Runway's processes each keep one pool (db/create-pool.ts). */
const RUNWAY_POOL_SIZE = 10;
/** The schema and set-up tools, the demo services' databases, an operator's psql. */
const HEADROOM = 50;

export interface ClusterShape {
  /** Temporal services on each node, e.g. [4, 3]: the first node runs the system worker too. */
  temporalServicesPerNode: number[];
  runwayProcesses: number;
}

export function connectionBudget(shape: ClusterShape): number {
  const perService = TEMPORAL_POOL_SIZES.default + TEMPORAL_POOL_SIZES.visibility;
  const temporal = shape.temporalServicesPerNode.reduce((sum, services) => sum + services * perService, 0);
  return temporal + shape.runwayProcesses * RUNWAY_POOL_SIZE + HEADROOM;
}
