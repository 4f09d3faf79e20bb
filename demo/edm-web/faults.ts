import { z } from 'zod';

/**
 * When and how hard the late-fault builds (`+errors`, `+degrading`, `+unhealthy-later`) go bad,
 * read from the instance's environment so tests and demos can shorten the wait.
 *
 * The fault clock decides when "a while" starts. `start`: when the instance starts listening.
 * `traffic`: at the first request forwarded by the environment's traffic proxy, so a build checked
 * directly on its idle colour before the switch stays healthy however long that check takes, and
 * goes bad a fixed time after it takes traffic; the demo target starts its instances this way.
 */
export const faultSettingsSchema = z.object({
  EDM_FAULT_AFTER_MS: z.coerce.number().int().min(0).default(5000),
  EDM_FAULT_CLOCK: z.enum(['start', 'traffic']).default('start'),
  EDM_ERROR_SHARE: z.coerce.number().min(0).max(1).default(0.3),
  EDM_DEGRADED_DELAY_MS: z.coerce.number().int().min(0).default(300),
});

export interface FaultSettings {
  afterMs: number;
  clock: 'start' | 'traffic';
  /** Share of service requests a `+errors` build answers with 500 once its fault has begun. */
  errorShare: number;
  /** Latency a `+degrading` build adds to its service paths once its fault has begun. */
  degradedDelayMs: number;
}

export function readFaultSettings(env: NodeJS.ProcessEnv): FaultSettings {
  const parsed = faultSettingsSchema.safeParse(env);
  if (!parsed.success) throw new Error(`invalid fault settings: ${z.prettifyError(parsed.error)}`);
  const settings = parsed.data;
  return {
    afterMs: settings.EDM_FAULT_AFTER_MS,
    clock: settings.EDM_FAULT_CLOCK,
    errorShare: settings.EDM_ERROR_SHARE,
    degradedDelayMs: settings.EDM_DEGRADED_DELAY_MS,
  };
}

/** The header the demo's traffic proxy adds to every request it forwards. */
export const FORWARDED_HEADER = 'x-forwarded-for';

export class FaultClock {
  private startedAt: number | null = null;

  constructor(
    private readonly settings: FaultSettings,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Called when the instance listens, and for every request with whether the proxy forwarded it. */
  noteListening(): void {
    if (this.settings.clock === 'start') this.startedAt ??= this.now();
  }

  noteRequest(forwarded: boolean): void {
    if (this.settings.clock === 'traffic' && forwarded) this.startedAt ??= this.now();
  }

  get faultBegun(): boolean {
    return this.startedAt !== null && this.now() - this.startedAt >= this.settings.afterMs;
  }

  describe(): string {
    const after = `${this.settings.afterMs} ms`;
    return this.settings.clock === 'start'
      ? `faults begin ${after} after start`
      : `faults begin ${after} after the first request through the proxy`;
  }
}

/**
 * Picks which requests fail, evenly rather than at random: with a share of 0.3 exactly 3 of every 10
 * consecutive faulted requests fail, so a bake measures the configured share without sampling noise.
 */
export class ErrorShare {
  private seen = 0;

  constructor(private readonly share: number) {}

  nextFails(): boolean {
    const before = Math.floor(this.seen * this.share + 1e-9);
    this.seen += 1;
    return Math.floor(this.seen * this.share + 1e-9) > before;
  }
}
