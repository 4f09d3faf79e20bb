// Frozen with the v1 engine (release-workflow-v1.ts); never change what it does.
// The compensations of a release, last in first out (the saga pattern, R-COMPENSATE).
// Each entry is recorded right after the step that changed a target succeeds, so a reader sees at
// the point of each deploy what undoes it.

export interface Compensation {
  /** The step this compensation undoes. */
  stepId: string;
  environment: string;
  description: string;
  run: () => Promise<void>;
}

export class CompensationStack {
  readonly #entries: Compensation[] = [];

  push(compensation: Compensation): void {
    this.#entries.unshift(compensation);
  }

  /** Removes and returns the compensations for one environment, most recent first. */
  takeFor(environment: string): Compensation[] {
    const taken = this.#entries.filter((entry) => entry.environment === environment);
    for (const entry of taken) this.#entries.splice(this.#entries.indexOf(entry), 1);
    return taken;
  }

  get size(): number {
    return this.#entries.length;
  }
}
