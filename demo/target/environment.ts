import { ColourInstance, type InstanceLaunchOptions } from './colour-instance.js';
import {
  COLOURS,
  type Colour,
  type ColourStatus,
  DemoTargetError,
  type DeployResult,
  type EnvironmentStatus,
  type StopResult,
  type SwitchResult,
} from './model.js';
import type { PersistedColour, PersistedEnvironment } from './state-file.js';

export interface EnvironmentPorts {
  proxyPort: number;
  colourPorts: Record<Colour, number>;
}

export interface EnvironmentDependencies {
  launch: Omit<InstanceLaunchOptions, 'onUnexpectedExit'>;
  /** Persist the whole target's state; resolves once it is on disk. */
  persist: () => Promise<void>;
  log: (line: string) => void;
}

/** What a colour should run, and the process running it if one was started. */
interface ColourSlot {
  version: string;
  instance: ColourInstance | null;
}

export interface ActiveBackend {
  colour: Colour;
  /** Null while the active colour has no running instance. */
  port: number | null;
}

/** One environment's two colours and which of them takes traffic. */
export class DemoEnvironment {
  private activeColour: Colour;
  private readonly slots: Record<Colour, ColourSlot | null>;
  private queue: Promise<unknown> = Promise.resolve();

  /**
   * Starts from what was recorded, before any instance runs, so that a state write made
   * while another environment is still starting never drops this one's versions.
   */
  constructor(
    readonly name: string,
    readonly ports: EnvironmentPorts,
    recorded: PersistedEnvironment,
    private readonly deps: EnvironmentDependencies,
  ) {
    this.activeColour = recorded.activeColour;
    const slotFor = (colour: Colour): ColourSlot | null => {
      const deployment = recorded.colours[colour];
      return deployment === null ? null : { version: deployment.version, instance: null };
    };
    this.slots = { blue: slotFor('blue'), green: slotFor('green') };
  }

  /** One operation at a time per environment, so a switch never lands in the middle of a deploy. */
  private exclusive<T>(operation: () => Promise<T>): Promise<T> {
    const result = this.queue.then(operation);
    this.queue = result.catch(() => undefined);
    return result;
  }

  private colourStatus(colour: Colour): ColourStatus | null {
    const slot = this.slots[colour];
    if (slot === null) return null;
    const running = slot.instance?.running ?? false;
    return {
      version: slot.version,
      port: this.ports.colourPorts[colour],
      running,
      pid: running ? (slot.instance?.pid ?? null) : null,
    };
  }

  status(): EnvironmentStatus {
    return {
      environment: this.name,
      activeColour: this.activeColour,
      colours: { blue: this.colourStatus('blue'), green: this.colourStatus('green') },
    };
  }

  activeBackend(): ActiveBackend {
    const instance = this.slots[this.activeColour]?.instance;
    return {
      colour: this.activeColour,
      port: instance?.running ? this.ports.colourPorts[this.activeColour] : null,
    };
  }

  snapshot(): PersistedEnvironment {
    const persisted = (colour: Colour): PersistedColour | null => {
      const status = this.colourStatus(colour);
      return status === null ? null : { version: status.version, pid: status.pid };
    };
    return {
      activeColour: this.activeColour,
      colours: { blue: persisted('blue'), green: persisted('green') },
    };
  }

  /**
   * Start what the state says should run. A colour that fails to start is logged and left
   * not running rather than failing the agent: an agent that refuses to start cannot be
   * repaired through its own control API.
   */
  startRecordedInstances(): Promise<void> {
    return this.exclusive(async () => {
      await Promise.all(
        COLOURS.map(async (colour) => {
          const version = this.slots[colour]?.version;
          if (version === undefined) return;
          try {
            await this.startInstance(colour, version);
          } catch (error) {
            this.deps.log(`${this.name}/${colour}: could not start ${version}: ${(error as Error).message}`);
          }
        }),
      );
    });
  }

  deploy(colour: Colour, version: string): Promise<DeployResult> {
    return this.exclusive(async () => {
      const slot = this.slots[colour];
      if (slot?.version === version && slot.instance?.running) return this.deployResult(colour);
      if (slot?.instance) {
        this.deps.log(`${this.name}/${colour}: stopping ${slot.version} to deploy ${version}`);
        await slot.instance.stop();
      }
      await this.startInstance(colour, version);
      this.deps.log(
        `${this.name}/${colour}: ${version} is serving on port ${this.ports.colourPorts[colour]}`,
      );
      return this.deployResult(colour);
    });
  }

  private deployResult(colour: Colour): DeployResult {
    const status = this.colourStatus(colour);
    if (status === null) throw new Error(`${this.name}/${colour} has no deployment right after deploying`);
    return { environment: this.name, colour, ...status };
  }

  /** The slot keeps the version even when the start fails, so status shows what was attempted. */
  private async startInstance(colour: Colour, version: string): Promise<void> {
    const instance = ColourInstance.launch(
      { environment: this.name, colour, version, port: this.ports.colourPorts[colour] },
      { ...this.deps.launch, onUnexpectedExit: (exited, reason) => this.onUnexpectedExit(exited, reason) },
    );
    this.slots[colour] = { version, instance };
    // Record the pid before waiting, so an agent that dies now leaves a findable orphan.
    await this.deps.persist();
    try {
      await instance.untilServing();
    } finally {
      await this.deps.persist();
    }
  }

  private onUnexpectedExit(instance: ColourInstance, reason: string): void {
    const { colour, version } = instance.spec;
    this.deps.log(`${this.name}/${colour}: ${version} exited unexpectedly (${reason})`);
    if (this.slots[colour]?.instance !== instance) return;
    this.deps.persist().catch((error: Error) => this.deps.log(`could not persist state: ${error.message}`));
  }

  stopColour(colour: Colour): Promise<StopResult> {
    return this.exclusive(async () => {
      const slot = this.slots[colour];
      const stoppedPid = slot?.instance?.running ? slot.instance.pid : null;
      if (slot?.instance) await slot.instance.stop();
      this.slots[colour] = null;
      await this.deps.persist();
      if (slot !== null) this.deps.log(`${this.name}/${colour}: stopped ${slot.version}`);
      return { environment: this.name, colour, stoppedVersion: slot?.version ?? null, stoppedPid };
    });
  }

  switchTo(colour: Colour): Promise<SwitchResult> {
    return this.exclusive(async () => {
      if (!this.slots[colour]?.instance?.running) {
        throw new DemoTargetError(
          409,
          `cannot switch ${this.name} to ${colour}: no instance is running there; deploy it first`,
        );
      }
      const previousColour = this.activeColour;
      this.activeColour = colour;
      await this.deps.persist();
      if (previousColour !== colour)
        this.deps.log(`${this.name}: traffic switched from ${previousColour} to ${colour}`);
      return { environment: this.name, activeColour: colour, previousColour };
    });
  }

  /** Stop every instance but keep what should run, so the next start restores it. */
  shutdown(): Promise<void> {
    return this.exclusive(async () => {
      await Promise.all(COLOURS.map((colour) => this.slots[colour]?.instance?.stop()));
    });
  }
}
