// The shapes the runway command reads, from the API's own schemas (types only: nothing of the API
// runs in the command).
import type { z } from 'zod';
import type { AuditEventSchema, AuditPageSchema } from '../api/audit-schemas.js';
import type { DecisionResultSchema, DryRunSchema, OrderResultSchema } from '../api/release-schemas.js';
import type { CalendarSchema } from '../api/routes/calendar.js';
import type { ConfirmationResultSchema } from '../api/routes/confirmations.js';
import type { DeliveryMetricsSchema } from '../api/routes/delivery-metrics.js';
import type { ServiceHealthSchema, ServiceListSchema } from '../api/routes/services.js';

export type {
  ReleaseJson as Release,
  ReleaseSummaryJson as ReleaseSummary,
} from '../api/release-schemas.js';
export type DryRun = z.infer<typeof DryRunSchema>;
export type OrderResult = z.infer<typeof OrderResultSchema>;
export type DecisionResult = z.infer<typeof DecisionResultSchema>;

export type ConfirmationResult = z.infer<typeof ConfirmationResultSchema>;
export type CalendarView = z.infer<typeof CalendarSchema>;
export type AuditEvent = z.infer<typeof AuditEventSchema>;
export type AuditPage = z.infer<typeof AuditPageSchema>;
/** GET /api/v1/services */
export type ServiceList = z.infer<typeof ServiceListSchema>;
/** GET /api/v1/services/{service}/environments/{environment}/health */
export type HealthReport = z.infer<typeof ServiceHealthSchema>;
/** GET /api/v1/metrics/delivery */
export type DeliveryMetrics = z.infer<typeof DeliveryMetricsSchema>;
export type MetricUnit = DeliveryMetrics['metrics'][number]['unit'];
