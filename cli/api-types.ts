// The shapes the runway command reads. The release routes' come from the API's own schemas (types
// only: nothing of the API runs in the command); the services, health and delivery metrics routes
// are typed here after the contract they implement.
import type { z } from 'zod';
import type { DecisionResultSchema, DryRunSchema, OrderResultSchema } from '../api/release-schemas.js';

export type {
  ReleaseJson as Release,
  ReleaseSummaryJson as ReleaseSummary,
} from '../api/release-schemas.js';
export type DryRun = z.infer<typeof DryRunSchema>;
export type OrderResult = z.infer<typeof OrderResultSchema>;
export type DecisionResult = z.infer<typeof DecisionResultSchema>;

export interface ConfirmationResult {
  counted: true;
  stepId: string;
  confirmedBy: string;
  role: string;
}

export interface CalendarView {
  environment: string;
  timeZone: string;
  holidayDataUntil: string | null;
  windows: { start: string; end: string }[];
  freezes: { start: string; end: string; reason: string }[];
}

export interface AuditEvent {
  id: number;
  occurredAt: string;
  actor: string | null;
  action: string;
  target: string;
  environment: string | null;
  outcome: string;
  status: number | null;
  reason: string | null;
  requestId: string | null;
}

export interface AuditPage {
  events: AuditEvent[];
  nextBefore: number | null;
}

/** GET /api/v1/services */
export interface ServiceList {
  services: { name: string; description: string | null; strategy: string; environments: string[] }[];
}

/** GET /api/v1/services/{service}/environments/{environment}/health */
export interface HealthReport {
  service: string;
  environment: string;
  healthy: boolean;
  checks: { name: string; passed: boolean; latencyMs: number; detail: string }[];
  checkedAt: string;
}

export type MetricUnit = 'per-week' | 'ratio' | 'seconds';

/** GET /api/v1/metrics/delivery */
export interface DeliveryMetrics {
  from: string;
  to: string;
  service: string | null;
  type: string | null;
  environment: string;
  metrics: {
    key: string;
    label: string;
    value: number | null;
    unit: MetricUnit;
    target: { op: string; value: number } | null;
    met: boolean | null;
    sample: number;
  }[];
}
