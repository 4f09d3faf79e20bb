// The end-to-end suites' release calendar: always open, so what they test never waits for a window
// (the window step has its own tests, with calendars they declare).
import type { WindowCalendar } from '../../activities/calendar-activities.js';

export const ALWAYS_OPEN_CALENDAR: WindowCalendar = {
  check: async () => ({ kind: 'open', windowEnd: null }),
};
