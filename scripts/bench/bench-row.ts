// One line of `npm run bench`'s table: a figure (the median of its runs) and, where Runway is
// measured against a bare baseline, the baseline's figure measured in the same run and their ratio.
import { median } from './bench-stats.js';

export interface BenchFigure {
  /** What was measured, e.g. "Runway API" or "bare hono + pg". */
  subject: string;
  /** Every run's value, in the order they ran. */
  runs: number[];
  /** The median of `runs`. */
  value: number;
}

export interface BenchRow {
  /** The table's section: reads, starts, engine, scale, rollback. */
  group: string;
  /** What the row measures, e.g. "GET /releases/{id} (21 steps) req/s". */
  name: string;
  /** req/s, ms, s, MiB, events, … */
  unit: string;
  runway: BenchFigure;
  baseline?: BenchFigure;
  /** runway.value / baseline.value. */
  ratio?: number;
  /** The target as written in the issue or spec, e.g. "≥ 1000" or "ratio ≤ 1.3"; absent when none. */
  target?: string;
  /** Whether the target is met; absent when the row has no target. */
  met?: boolean;
  /** Anything a reader needs to read the figure right (where it was measured, what limits it). */
  note?: string;
}

export const figure = (subject: string, runs: number[]): BenchFigure => ({
  subject,
  runs,
  value: median(runs),
});

/** A row comparing Runway with its baseline: the ratio is Runway's median over the baseline's. */
export function comparedRow(row: Omit<BenchRow, 'ratio'>): BenchRow {
  const ratio = row.baseline ? row.runway.value / row.baseline.value : undefined;
  return { ...row, ...(ratio === undefined ? {} : { ratio }) };
}
