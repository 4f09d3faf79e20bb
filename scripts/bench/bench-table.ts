// `npm run bench`'s output: one table (each row a median, its baseline and their ratio beside it)
// and the same rows as JSON, with the machine they were measured on.
import { cpus, freemem, loadavg, totalmem } from 'node:os';
import type { BenchRow } from './bench-row.js';
import { formatTable } from './bench-stats.js';

function number(value: number, unit: string): string {
  if (!Number.isFinite(value)) return '—';
  if (['req/s', 'MiB', 'bytes', 'releases', 'connections'].includes(unit)) return String(Math.round(value));
  if (unit === 'ms') return value >= 100 ? String(Math.round(value)) : value.toFixed(1);
  return value >= 100 ? String(Math.round(value)) : value.toFixed(2);
}

const verdict = (row: BenchRow) => (row.met === undefined ? '' : row.met ? 'met' : 'NOT MET');

export function benchTable(rows: BenchRow[]): string {
  return formatTable(
    ['group', 'measure', 'unit', 'Runway', 'baseline', 'ratio', 'target', '', 'runs (Runway | baseline)'],
    rows.map((row) => [
      row.group,
      row.name,
      row.unit,
      number(row.runway.value, row.unit),
      row.baseline ? number(row.baseline.value, row.unit) : '',
      row.ratio === undefined ? '' : row.ratio.toFixed(2),
      row.target ?? '',
      verdict(row),
      [row.runway.runs, row.baseline?.runs]
        .filter((runs): runs is number[] => runs !== undefined)
        .map((runs) => runs.map((run) => number(run, row.unit)).join(' '))
        .join(' | '),
    ]),
  );
}

export function machine() {
  return {
    cores: cpus().length,
    cpu: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    freeMemoryGiB: Math.round(freemem() / 2 ** 30),
    loadAverage: loadavg().map((load) => Number(load.toFixed(2))),
    node: process.version,
  };
}

/** The notes of rows that have one, numbered after the table. */
export function benchNotes(rows: BenchRow[]): string {
  return rows
    .filter((row) => row.note)
    .map((row) => `${row.group} · ${row.name}: ${row.note}`)
    .join('\n');
}
