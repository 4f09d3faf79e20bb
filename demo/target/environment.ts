import { ColourInstance, type InstanceLaunchOptions } from './colour-instance.js';
import {
  COLOURS,
  type Colour,
  type ColourStatus,
  DemoTargetError,
  type DeployResult,
  type EnvironmentStatus,
  type ExpectedActive,
  type RetireResult,
  type SwitchResult,
  targetChanged,
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
  /** Null while nothing is deployed to take traffic. */
  colour: Colour | null;
  /** Null while the active colour has no running instance (or there is none). */
  port: number | null;
}

const describeActive = (colour: Colour | null): string => colour ?? 'nothing';

/** One environment's two colours and which of them takes traffic. */
export class DemoEnvironment {
  private activeColour: Colour | null;
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
    const colour = this.activeColour;
    if (colour === null) return { colour, port: null };
    const instance = this.slots[colour]?.instance;
    return { colour, port: instance?.running ? this.ports.colourPorts[colour] : null };
  }

  /**
   * Compare-and-swap: a release says which colour it saw active, and is refused when that is no
   * longer so, because acting would overwrite what someone changed meanwhile (e.g. a hand switch).
   */
  private requireActive(expected: ExpectedActive, action: string): void {
    if (expected === undefined || expected === this.activeColour) return;
    throw targetChanged(
      `${action} refused: ${this.name} has ${describeActive(this.activeColour)} active, but the caller ` +
        `expected ${describeActive(expected)}; someone changed it (e.g. switched traffic by hand)`,
      this.activeColour,
    );
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

  deploy(colour: Colour, version: string, expectActive?: ExpectedActive): Promise<DeployResult> {
    return this.exclusive(async () => {
      this.requireActive(expectActive, `deploy ${version} to ${colour}`);
      // A caller that states an expectation deploys blue-green: onto the idle colour, never live traffic.
      if (expectActive !== undefined && colour === this.activeColour) {
        throw targetChanged(
          `deploy ${version} to ${colour} refused: ${colour} is taking traffic in ${this.name}; deploy to the idle colour`,
          this.activeColour,
        );
      }
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
      { environment: this.name, slot: colour, version, port: this.ports.colourPorts[colour] },
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
    const { slot, version } = instance.spec;
    this.deps.log(`${this.name}/${slot}: ${version} exited unexpectedly (${reason})`);
    if (this.slots[slot as Colour]?.instance !== instance) return;
    this.deps.persist().catch((error: Error) => this.deps.log(`could not persist state: ${error.message}`));
  }

  /**
   * Takes a colour out of service: its instance stops and, if it took traffic, nothing does any more.
   * Retiring a colour that is not deployed succeeds whatever the expectation, since it changes
   * nothing: a retry after a lost answer must not fail because the first attempt worked.
   */
  retire(colour: Colour, expectActive?: ExpectedActive): Promise<RetireResult> {
    return this.exclusive(async () => {
      const slot = this.slots[colour];
      const result = (stoppedPid: number | null): RetireResult => ({
        environment: this.name,
        colour,
        stoppedVersion: slot?.version ?? null,
        stoppedPid,
        activeColour: this.activeColour,
      });
      if (slot === null) return result(null);
      this.requireActive(expectActive, `retire ${colour}`);
      const stoppedPid = slot.instance?.running ? slot.instance.pid : null;
      if (slot.instance) await slot.instance.stop();
      this.slots[colour] = null;
      const wasActive = this.activeColour === colour;
      if (wasActive) this.activeColour = null;
      await this.deps.persist();
      this.deps.log(`${this.name}/${colour}: retired ${slot.version}`);
      if (wasActive) this.deps.log(`${this.name}: nothing takes traffic now`);
      return result(stoppedPid);
    });
  }

  /**
   * Switching to the colour that already serves changes nothing, so it succeeds whatever the
   * expectation: a retry after a lost answer must not fail because the first attempt worked.
   */
  switchTo(colour: Colour, expectActive?: ExpectedActive): Promise<SwitchResult> {
    return this.exclusive(async () => {
      if (this.activeColour === colour && this.slots[colour]?.instance?.running)
        return { environment: this.name, activeColour: colour, previousColour: colour };
      this.requireActive(expectActive, `switch to ${colour}`);
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
        this.deps.log(`${this.name}: traffic switched from ${describeActive(previousColour)} to ${colour}`);
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
