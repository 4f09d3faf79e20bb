// Custom search attributes, so Temporal Web can filter releases by service, type, version and status.
// The dev stack registers them at server start (see stack/start-dev-stack.ts).
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const serviceKey = defineSearchAttributeKey('RunwayService', SearchAttributeType.KEYWORD);
export const releaseTypeKey = defineSearchAttributeKey('RunwayReleaseType', SearchAttributeType.KEYWORD);
export const versionKey = defineSearchAttributeKey('RunwayVersion', SearchAttributeType.KEYWORD);
export const statusKey = defineSearchAttributeKey('RunwayStatus', SearchAttributeType.KEYWORD);

/** Name → type, in the form the dev server's `--search-attribute` flag takes. */
export const RUNWAY_SEARCH_ATTRIBUTES = Object.fromEntries(
  [serviceKey, releaseTypeKey, versionKey, statusKey].map((key) => [key.name, 'Keyword' as const]),
);
