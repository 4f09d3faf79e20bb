// Durations and instants as people type them on a command line, and durations as they read them.
import { InvalidArgumentError } from 'commander';

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const DURATION = /^(\d+(?:\.\d+)?(?:ms|s|m|h|d))+$/;
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g;

/** "90s", "30m", "1h30m", "2d"; a bare number is seconds. */
export function parseDuration(text: string): number {
  const value = text.trim();
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000;
  if (!DURATION.test(value)) {
    throw new InvalidArgumentError(`expected a duration such as 90s, 30m or 1h30m, not "${text}"`);
  }
  let total = 0;
  for (const [, amount, unit] of value.matchAll(PART))
    total += Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS];
  return total;
}

/** An ISO-8601 instant, or a duration meaning that long before `now` ("2h": two hours ago). */
export function parseInstant(text: string, now = new Date()): string {
  const value = text.trim();
  if (/^\d{4}-\d{2}-\d{2}/.test(value)) {
    const date = new Date(value);
    if (Number.isNaN(date.getTime()))
      throw new InvalidArgumentError(`expected an ISO-8601 instant, not "${text}"`);
    return date.toISOString();
  }
  try {
    return new Date(now.getTime() - parseDuration(value)).toISOString();
  } catch {
    throw new InvalidArgumentError(
      `expected an ISO-8601 instant (2026-12-01T08:00:00Z) or a time ago (2h, 7d), not "${text}"`,
    );
  }
}

/** 850ms, 4.1s, 1m02s, 1h05m, 3d04h: short, and precise where it matters. */
export function formatDuration(ms: number): string {
  if (ms < 0) return formatDuration(0);
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 10_000) return `${(Math.floor(ms / 100) / 10).toFixed(1)}s`;
  const seconds = Math.floor(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const pad = (n: number) => String(n).padStart(2, '0');
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${pad(seconds % 60)}s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours}h${pad(minutes % 60)}m`;
  return `${Math.floor(hours / 24)}d${pad(hours % 24)}h`;
}
