// Builds the probe a plan's ProbeSpec names: the service itself over HTTP, or a Prometheus server
// that scrapes it (health is still asked of the service: Prometheus does not know it).
import type { BakeSettings, ProbeSpec } from '../workflows/release-model.js';
import { HttpProbe } from './http-probe.js';
import type { MetricsProbe } from './measurement.js';
import { PrometheusProbe } from './prometheus-probe.js';

export function probeFromSpec(spec: ProbeSpec, settings: BakeSettings): MetricsProbe {
  if (spec.type === 'http') {
    return new HttpProbe({
      baseUrl: spec.url,
      healthPath: spec.healthPath,
      paths: spec.paths,
      intervalMs: settings.intervalMs,
      timeoutMs: settings.timeoutMs,
    });
  }
  return new PrometheusProbe({
    url: spec.url,
    selector: spec.selector,
    intervalMs: settings.intervalMs,
    scrapeIntervalMs: spec.scrapeIntervalMs,
    timeoutMs: settings.timeoutMs,
  });
}
