import { ColourInstance, type InstanceLaunchOptions } from './colour-instance.js';
import {
  DemoTargetError,
  instanceChanged,
  type SenderInstanceStatus,
  type UpdateInstanceResult,
} from './model.js';
import type { PersistedColour, PersistedSender } from './state-file.js';

export interface SenderPorts {
  /** The environment's edm-sender proxy. */
  proxyPort: number;
  /** One port per instance, in instance order: `sender-1` listens on the first. */
  instancePorts: number[];
}

export interface SenderPoolDependencies {
  launch: Omit<InstanceLaunchOptions, 'onUnexpectedExit'>;
  persist: () => Promise<void>;
  log: (line: string) => void;
}

/** The demo's instance names, in update order. */
export const senderInstanceName = (index: number): string => `sender-${index + 1}`;

/** Often enough that a proxy stops sending to a failing instance within about a second. */
const HEALTH_INTERVAL_MS = 1000;
const HEALTH_TIMEOUT_MS = 800;

interface InstanceSlot {
  name: string;
  port: number;
  version: string;
  process: ColourInstance | null;
  healthy: boolean;
  queue: Promise<unknown>;
}

/**
 * One environment's edm-sender instances, updated one at a time each (R-RB-ROLLING) behind a
 * round-robin proxy that sends requests only to instances whose last health check passed.
 */
export class SenderPool {
  private readonly slots: InstanceSlot[];
  private next = 0;
  private healthTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly environment: string,
    readonly ports: SenderPorts,
    recorded: PersistedSender | undefined,
    initialVersion: string,
    private readonly deps: SenderPoolDependencies,
  ) {
    this.slots = ports.instancePorts.map((port, index) => {
      const name = senderInstanceName(index);
      const version = recorded?.instances[name]?.version ?? initialVersion;
      return { name, port, version, process: null, healthy: false, queue: Promise.resolve() };
    });
  }

  private find(name: string): InstanceSlot {
    const slot = this.slots.find((candidate) => candidate.name === name);
    if (slot === undefined) {
      const known = this.slots.map((candidate) => candidate.name).join(', ');
      throw new DemoTargetError(
        404,
        `no edm-sender instance "${name}" in ${this.environment}; it has ${known}`,
      );
    }
    return slot;
  }

  /** One operation at a time per instance; instances of one batch update side by side. */
  private exclusive<T>(slot: InstanceSlot, operation: () => Promise<T>): Promise<T> {
    const result = slot.queue.then(operation);
    slot.queue = result.catch(() => undefined);
    return result;
  }

  private statusOf(slot: InstanceSlot): SenderInstanceStatus {
    const running = slot.process?.running ?? false;
    return {
      instance: slot.name,
      version: slot.version,
      port: slot.port,
      running,
      healthy: running && slot.healthy,
      pid: running ? (slot.process?.pid ?? null) : null,
    };
  }

  status(): SenderInstanceStatus[] {
    return this.slots.map((slot) => this.statusOf(slot));
  }

  instanceStatus(name: string): SenderInstanceStatus {
    return this.statusOf(this.find(name));
  }

  snapshot(): PersistedSender {
    const instances: Record<string, PersistedColour> = {};
    for (const slot of this.slots) {
      const { version, pid } = this.statusOf(slot);
      instances[slot.name] = { version, pid };
    }
    return { instances };
  }

  /** The next healthy instance's port for the proxy, round-robin; null when none is healthy. */
  nextBackend(): { instance: string; port: number } | null {
    for (let tried = 0; tried < this.slots.length; tried++) {
      const slot = this.slots[(this.next + tried) % this.slots.length] as InstanceSlot;
      if (slot.healthy && slot.process?.running) {
        this.next = (this.next + tried + 1) % this.slots.length;
        return { instance: slot.name, port: slot.port };
      }
    }
    return null;
  }

  /** Starts what the state says should run; an instance that fails to start is logged and left down. */
  async startRecordedInstances(): Promise<void> {
    await Promise.all(
      this.slots.map((slot) =>
        this.exclusive(slot, () =>
          this.start(slot, slot.version).catch((error: Error) =>
            this.deps.log(
              `${this.environment}/${slot.name}: could not start ${slot.version}: ${error.message}`,
            ),
          ),
        ),
      ),
    );
    this.healthTimer = setInterval(() => void this.checkHealth(), HEALTH_INTERVAL_MS);
    this.healthTimer.unref();
  }

  /**
   * Compare-and-swap: puts `version` on the instance only while it runs `expectVersion` (when
   * given). An instance already running `version` is left as it is whatever the expectation, so a
   * retry after a lost answer succeeds; one whose start failed is started again.
   */
  update(name: string, version: string, expectVersion?: string): Promise<UpdateInstanceResult> {
    const slot = this.find(name);
    return this.exclusive(slot, async () => {
      const previousVersion = slot.version;
      const result = (): UpdateInstanceResult => ({
        environment: this.environment,
        previousVersion,
        ...this.statusOf(slot),
      });
      if (slot.version === version && slot.process?.running) return result();
      if (slot.version !== version && expectVersion !== undefined && expectVersion !== slot.version) {
        throw instanceChanged(
          `update of ${this.environment}/${name} to ${version} refused: it runs ${slot.version}, but the caller expected ${expectVersion}; someone changed it`,
          slot.version,
        );
      }
      if (slot.process) {
        this.deps.log(`${this.environment}/${name}: stopping ${slot.version} to run ${version}`);
        await slot.process.stop();
      }
      await this.start(slot, version);
      this.deps.log(`${this.environment}/${name}: ${version} is serving on port ${slot.port}`);
      return result();
    });
  }

  /** The slot keeps the version even when the start fails, so status shows what was attempted. */
  private async start(slot: InstanceSlot, version: string): Promise<void> {
    slot.healthy = false;
    slot.version = version;
    slot.process = ColourInstance.launch(
      { environment: this.environment, slot: slot.name, version, port: slot.port },
      { ...this.deps.launch, onUnexpectedExit: (exited, reason) => this.onUnexpectedExit(exited, reason) },
    );
    // Record the pid before waiting, so an agent that dies now leaves a findable orphan.
    await this.deps.persist();
    try {
      await slot.process.untilServing();
      await this.probe(slot);
    } finally {
      await this.deps.persist();
    }
  }

  private onUnexpectedExit(exited: ColourInstance, reason: string): void {
    const { slot: name, version } = exited.spec;
    this.deps.log(`${this.environment}/${name}: ${version} exited unexpectedly (${reason})`);
    this.deps.persist().catch((error: Error) => this.deps.log(`could not persist state: ${error.message}`));
  }

  private async probe(slot: InstanceSlot): Promise<void> {
    const current = slot.process;
    let healthy = false;
    if (current?.running) {
      try {
        const response = await fetch(`http://127.0.0.1:${slot.port}/health`, {
          signal: AbortSignal.timeout(HEALTH_TIMEOUT_MS),
        });
        await response.arrayBuffer();
        healthy = response.status === 200;
      } catch {
        healthy = false;
      }
    }
    // An update may have replaced the process while the probe ran: its answer is stale then.
    if (slot.process === current) slot.healthy = healthy;
  }

  private async checkHealth(): Promise<void> {
    await Promise.all(this.slots.map((slot) => this.probe(slot)));
  }

  /** Stops every instance but keeps what should run, so the next start restores it. */
  async shutdown(): Promise<void> {
    clearInterval(this.healthTimer);
    await Promise.all(this.slots.map((slot) => this.exclusive(slot, async () => slot.process?.stop())));
  }
}
