// The compensations of a release (the saga pattern, R-COMPENSATE), kept as data: each entry says
// what undoes which step, so the API can show the rollback plan at any moment, and the workflow runs
// the entries of an environment newest first. Each action is a compare-and-swap on the target: it
// undoes only while the target is still as the release left it; each kind of undo is defined by
// the step kind that records it (steps/step-kinds.ts runs them).
import type { CompensationEntry, ReleaseState } from './release-model.js';

export class CompensationLog {
  constructor(private readonly state: ReleaseState) {}

  /** Records an undo, most recent first. Pushed before the change it undoes takes effect. */
  push(entry: Omit<CompensationEntry, 'status'>): void {
    if (this.state.rollbackPlan.some((existing) => existing.id === entry.id)) return;
    this.state.rollbackPlan.unshift({ ...entry, status: 'pending' });
  }

  /** The entries still to run for one environment, in the order they run. */
  pendingFor(environment: string): CompensationEntry[] {
    return this.state.rollbackPlan.filter(
      (entry) => entry.environment === environment && entry.status === 'pending',
    );
  }
}
