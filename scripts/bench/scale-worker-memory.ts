// A worker's memory as the target reads it: resident memory from /proc, and the V8 heap in
// use from the worker's own /metrics (prom-client's nodejs_heap_size_used_bytes). The metrics
// address is a free port the worker chose; its log says which.
import { readFile } from 'node:fs/promises';
import { rssMiB } from './scale-process-usage.js';

export interface WorkerMemory {
  rssMiB: number;
  heapUsedMiB: number;
}

async function metricsUrlFromLog(logFile: string): Promise<string> {
  for (const line of (await readFile(logFile, 'utf8')).split('\n')) {
    if (!line.includes('"metrics listening"')) continue;
    const url = (JSON.parse(line) as { url?: string }).url;
    if (url) return url;
  }
  throw new Error(`${logFile} does not say where the worker's /metrics is`);
}

async function heapUsedBytes(metricsUrl: string): Promise<number> {
  const text = await (await fetch(metricsUrl, { signal: AbortSignal.timeout(30_000) })).text();
  const match = /^nodejs_heap_size_used_bytes(?:\{[^}]*\})? ([0-9.e+]+)/m.exec(text);
  if (!match) throw new Error(`${metricsUrl} has no nodejs_heap_size_used_bytes`);
  return Number(match[1]);
}

export async function readWorkerMemory(pid: number, logFile: string): Promise<WorkerMemory> {
  const heap = await heapUsedBytes(await metricsUrlFromLog(logFile));
  const rss = rssMiB(pid);
  if (rss === undefined) throw new Error(`worker ${pid} is gone`);
  return { rssMiB: rss, heapUsedMiB: heap / 2 ** 20 };
}
