// The Temporal SDK's own worker metrics (task slots, poll and schedule-to-start latencies, sticky
// cache…). Its Runtime exports them over Prometheus itself, once per process: here on a loopback
// port of its own, which the worker's /metrics reads and appends, so one scrape per worker gets
// Runway's metrics and the SDK's. The Runtime can be installed once only, before any connection.
import { Runtime, type RuntimeOptions } from '@temporalio/worker';
import { getFreePort } from '../stack/free-port.js';

const EXPORTER_HOST = '127.0.0.1';
const INSTALL_ATTEMPTS = 3;
const READ_TIMEOUT_MS = 2_000;

/** This process's SDK exporter, once installTemporalRuntime installed the Runtime with it. */
let exporterUrl: string | undefined;

/**
 * Installs the process's Temporal Runtime with its Prometheus exporter on a free loopback port.
 * A port taken between choosing and binding it makes the install fail: another is tried.
 */
export async function installTemporalRuntime(
  options: Omit<RuntimeOptions, 'telemetryOptions'>,
): Promise<Runtime> {
  let lastError: unknown;
  for (let attempt = 1; attempt <= INSTALL_ATTEMPTS; attempt++) {
    const bindAddress = `${EXPORTER_HOST}:${await getFreePort(EXPORTER_HOST)}`;
    try {
      const runtime = Runtime.install({
        ...options,
        telemetryOptions: {
          // Seconds, as Prometheus names durations, and as Runway's own histograms are.
          metrics: { prometheus: { bindAddress, useSecondsForDurations: true } },
        },
      });
      exporterUrl = `http://${bindAddress}/metrics`;
      return runtime;
    } catch (error) {
      lastError = error;
      if (!/address already in use/i.test(String(error))) throw error;
    }
  }
  throw new Error(`could not start the Temporal SDK's metrics exporter: ${String(lastError)}`, {
    cause: lastError,
  });
}

/**
 * The SDK's metrics in Prometheus's text format; undefined when this process's Runtime has no
 * exporter (installed elsewhere without one) or it did not answer in time.
 */
export async function readTemporalSdkMetrics(): Promise<string | undefined> {
  if (exporterUrl === undefined) return undefined;
  try {
    const response = await fetch(exporterUrl, { signal: AbortSignal.timeout(READ_TIMEOUT_MS) });
    return response.ok ? await response.text() : undefined;
  } catch {
    return undefined;
  }
}
