// Custom search attributes, so Temporal Web can filter releases by service, type, version, status
// and environment (SPEC 9). The dev stack registers them at server start (see stack/start-dev-stack.ts).
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const serviceKey = defineSearchAttributeKey('RunwayService', SearchAttributeType.KEYWORD);
export const releaseTypeKey = defineSearchAttributeKey('RunwayReleaseType', SearchAttributeType.KEYWORD);
export const versionKey = defineSearchAttributeKey('RunwayVersion', SearchAttributeType.KEYWORD);
export const statusKey = defineSearchAttributeKey('RunwayStatus', SearchAttributeType.KEYWORD);
/** Every environment the release touches, e.g. `RunwayEnvironments = "production"`. */
export const environmentsKey = defineSearchAttributeKey(
  'RunwayEnvironments',
  SearchAttributeType.KEYWORD_LIST,
);
/** The environment the release is in now. */
export const environmentKey = defineSearchAttributeKey('RunwayEnvironment', SearchAttributeType.KEYWORD);

/** Name → type, in the form the dev server's `--search-attribute` flag takes. */
export const RUNWAY_SEARCH_ATTRIBUTES = {
  RunwayService: 'Keyword',
  RunwayReleaseType: 'Keyword',
  RunwayVersion: 'Keyword',
  RunwayStatus: 'Keyword',
  RunwayEnvironments: 'KeywordList',
  RunwayEnvironment: 'Keyword',
} as const;
