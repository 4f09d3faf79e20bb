// runway metrics: the delivery metrics of GET /api/v1/metrics/delivery, each against its target.
import { type Command, Option } from 'commander';
import { RELEASE_TYPES } from '../../workflows/release-model.js';
import type { DeliveryMetrics, MetricUnit } from '../api-types.js';
import { action, withCommonOptions } from '../command-context.js';
import { formatDuration, parseInstant } from '../durations.js';
import { EXIT } from '../exit-codes.js';
import { formatTable, type Palette, printableStrings } from '../output.js';

/** A metric's value as people read it: 2.5/week, 97.0 %, 12m30s. */
export function formatMetricValue(value: number, unit: MetricUnit): string {
  if (unit === 'per-week') return `${Number(value.toFixed(2))}/week`;
  if (unit === 'ratio') return `${(value * 100).toFixed(1)} %`;
  return formatDuration(value * 1000);
}

const OPS: Record<string, string> = { '>=': '≥', '<=': '≤', '>': '>', '<': '<' };

export function metricsTable(answer: DeliveryMetrics, paint: Palette): string[] {
  const report = printableStrings(answer);
  const rows = report.metrics.map((metric) => [
    metric.label,
    metric.value === null ? '-' : formatMetricValue(metric.value, metric.unit),
    metric.target
      ? `${OPS[metric.target.op] ?? metric.target.op} ${formatMetricValue(metric.target.value, metric.unit)}`
      : '-',
    metric.met === null ? '-' : metric.met ? paint.green('yes') : paint.red('no'),
    String(metric.sample),
  ]);
  const scope = [report.service ?? 'every service', report.type ?? 'every type', report.environment].join(
    ', ',
  );
  return [
    `${scope}: ${report.from} → ${report.to}`,
    ...formatTable(['METRIC', 'VALUE', 'TARGET', 'MET', 'SAMPLE'], rows, paint),
  ];
}

interface MetricsOptions {
  service?: string;
  type?: string;
  env?: string;
  from?: string;
  to?: string;
}

export function registerMetricsCommand(program: Command): void {
  withCommonOptions(
    program
      .command('metrics')
      .description('delivery metrics (frequency, success rate, lead time…) against their targets')
      .option('--service <name>', 'only this service')
      .addOption(new Option('--type <type>', 'only this release type').choices(RELEASE_TYPES))
      .option('--env <environment>', 'the environment measured (the API defaults to production)')
      .option('--from <when>', 'from: an ISO instant or a time ago (28d by default)', (text) =>
        parseInstant(text),
      )
      .option('--to <when>', 'to: an ISO instant or a time ago (now by default)', (text) =>
        parseInstant(text),
      ),
  )
    .addHelpText('after', '\nExample:\n  runway metrics --service edm-web --from 7d')
    .action(
      action(async (context, options: MetricsOptions) => {
        const report = await context.client().get<DeliveryMetrics>('/metrics/delivery', {
          service: options.service,
          type: options.type,
          environment: options.env,
          from: options.from,
          to: options.to,
        });
        if (context.out.json) context.out.printJson(report);
        else context.out.print(...metricsTable(report, context.out.paint));
        return EXIT.ok;
      }),
    );
}
