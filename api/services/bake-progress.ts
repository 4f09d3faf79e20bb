// A bake as it runs: its activity heartbeats its latest judgement (activities/bake-activities.ts),
// and Temporal keeps the last heartbeat with the pending activity. The release view shows it while
// the bake lasts. What comes back from Temporal is treated as data anyone with access to the
// namespace could have written: it must be sealed with Runway's payload key, and only the fields
// below, bounded and without control characters, reach a caller.
import type { Client } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import { decodeArrayFromPayloads } from '@temporalio/common/lib/internal-non-workflow/index.js';
import { z } from 'zod';
import type { BakeHeartbeat } from '../../activities/bake-activities.js';
import { BAKE_TRIGGERS } from '../../analysis/judge-bake.js';
import type { Logger } from '../../logging/logger.js';
import { isEncrypted } from '../../security/payload-codec.js';

/** A release read waits no longer than this for Temporal: the view is whole without `live`. */
export const LIVE_DEADLINE_MS = 1_000;
const BAKE_ACTIVITY = 'bakeService';

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is removed.
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]+/g;

/** Text shown as is by clients and terminals: control characters (escapes) become a space, and it is cut short. */
const shownText = (max: number) =>
  z.string().transform((text) => {
    const plain = text.replace(CONTROL_CHARACTERS, ' ');
    const characters = [...plain];
    return characters.length > max ? `${characters.slice(0, max - 1).join('')}…` : plain;
  });

// zod's numbers are finite: NaN and Infinity are refused.
const figure = z.number();
const count = figure.nonnegative();
/** No bake lasts a week (86 400 s at most, resumed attempts included). */
const span = count.max(7 * 86_400_000);

const checkSchema = z.discriminatedUnion('outcome', [
  z.object({
    trigger: z.enum(BAKE_TRIGGERS),
    outcome: z.enum(['passed', 'tripped']),
    measured: figure,
    threshold: figure,
    unit: z.enum(['failures', 'percent', 'ms']),
    detail: shownText(300),
  }),
  z.object({ trigger: z.enum(BAKE_TRIGGERS), outcome: z.literal('no-verdict'), detail: shownText(300) }),
]);

/** The heartbeat a bake sends, as far as it is shown: unknown fields are dropped, wrong ones refuse it all. */
const heartbeatSchema = z.object({
  stepId: z.string().max(200),
  elapsedMs: span,
  verdict: z.enum(['healthy', 'unhealthy', 'inconclusive']).optional(),
  summary: shownText(1000).optional(),
  checks: z.array(checkSchema).max(BAKE_TRIGGERS.length).optional(),
  windowMs: span.optional(),
  traffic: z.object({ requests: count, errors: count, p95Ms: count.nullable() }).nullable().optional(),
});

/** Compiles only while every heartbeat a bake sends is one this schema reads. */
export type HeartbeatSchemaReads<T extends z.input<typeof heartbeatSchema> = BakeHeartbeat> = T;

export type BakeCheck = z.infer<typeof checkSchema>;

/** A bake's latest judgement, as the release view shows it. */
export interface LiveBake {
  step: string;
  kind: 'bake';
  elapsedMs: number;
  verdict: 'healthy' | 'unhealthy' | 'inconclusive' | null;
  summary: string | null;
  checks: BakeCheck[];
  windowMs: number | null;
  traffic: { requests: number; errors: number; p95Ms: number | null } | null;
  /** When the bake last reported. */
  updatedAt: string;
}

const instantOf = (timestamp: { seconds?: unknown; nanos?: number | null } | null | undefined) =>
  timestamp?.seconds == null
    ? undefined
    : new Date(Number(timestamp.seconds) * 1000 + Math.floor((timestamp.nanos ?? 0) / 1e6)).toISOString();

export class BakeProgress {
  constructor(private readonly deps: { client: Client; logger?: Logger; deadlineMs?: number }) {}

  /**
   * The latest judgement of the bake `stepId` of the release's run, or undefined: not reported yet,
   * another step's, not sealed by Runway, not its shape, or Temporal not answering in time. Never throws.
   */
  async read(releaseId: string, runId: string | null, stepId: string): Promise<LiveBake | undefined> {
    try {
      return await this.#read(releaseId, runId, stepId);
    } catch (error) {
      this.deps.logger?.debug({ releaseId, err: String(error) }, 'no live figures of the bake');
      return undefined;
    }
  }

  async #read(releaseId: string, runId: string | null, stepId: string): Promise<LiveBake | undefined> {
    const { client } = this.deps;
    const handle = client.workflow.getHandle(releaseId, runId ?? undefined);
    const deadline = Date.now() + (this.deps.deadlineMs ?? LIVE_DEADLINE_MS);
    const { raw } = await client.withDeadline(deadline, () => handle.describe());
    const bake = raw.pendingActivities?.find((activity) => activity.activityType?.name === BAKE_ACTIVITY);
    const payloads = (bake?.heartbeatDetails?.payloads ?? []) as Payload[];
    const updatedAt = instantOf(bake?.lastHeartbeatTime);
    // Only Runway's workers hold the payload key: a heartbeat in clear came from someone else.
    if (!payloads[0] || !isEncrypted(payloads[0]) || !updatedAt) return undefined;
    const [details] = await decodeArrayFromPayloads(client.options.loadedDataConverter, payloads.slice(0, 1));
    return liveBakeOf(details, stepId, updatedAt);
  }
}

/** What a decoded heartbeat shows of the bake `stepId`; undefined when it is not a bake's, or another step's. */
export function liveBakeOf(details: unknown, stepId: string, updatedAt: string): LiveBake | undefined {
  const heartbeat = heartbeatSchema.safeParse(details);
  if (!heartbeat.success || heartbeat.data.stepId !== stepId) return undefined;
  const { elapsedMs, verdict, summary, checks, windowMs, traffic } = heartbeat.data;
  return {
    step: stepId,
    kind: 'bake',
    elapsedMs: Math.round(elapsedMs),
    verdict: verdict ?? null,
    summary: summary ?? null,
    checks: checks ?? [],
    windowMs: windowMs === undefined ? null : Math.round(windowMs),
    traffic: traffic ?? null,
    updatedAt,
  };
}
