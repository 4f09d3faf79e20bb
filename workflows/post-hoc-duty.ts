// What a hotfix or emergency owes after its production work (R-POSTHOC): the release waits
// `awaiting-docs` — holding no lock, so the next release of the service may start — and reminds on
// the configured cadence, each reminder a durable timer, until someone attaches the documentation or
// incident-review link (a `document` claim, judged by ReleaseOrders). Then it is `succeeded`.
import { isCancellation, log } from '@temporalio/workflow';
import { markdownText } from './markdown-text.js';
import { raiseInBackground } from './oversight-alerts.js';
import { sleepUnless, spokenDuration } from './oversight-timers.js';
import type { PostHocState, ReleaseOversight } from './release-model.js';
import { now } from './step-records.js';
import type { StepContext } from './steps/step-context.js';

type PostHoc = NonNullable<ReleaseOversight['postHoc']>;

const DUTY_WORDS: Record<PostHocState['duty'], string> = {
  documentation: 'documentation',
  'incident-review': 'post-incident review',
};

/** Production work is done: the duty is owed from now, and the release says so. */
export async function owePostHoc(context: StepContext, postHoc: PostHoc): Promise<void> {
  const { state, records } = context;
  state.postHoc = { duty: postHoc.duty, owedSince: now(), reminders: 0 };
  context.setStatus('awaiting-docs');
  await records.write(`production work done; ${DUTY_WORDS[postHoc.duty]} owed`);
}

/**
 * Reminds until the link is attached, then ends the duty `succeeded`. A cancel in Temporal stops the
 * reminders; the release stays as it is (its production work is done either way).
 */
export async function fulfilPostHoc(context: StepContext, postHoc: PostHoc): Promise<void> {
  const { state, records, input } = context;
  const owed = state.postHoc as PostHocState;
  const words = DUTY_WORDS[postHoc.duty];
  const attached = () => owed.attached !== undefined;
  let next = Date.parse(owed.owedSince) + postHoc.reminderEveryMs;
  try {
    while (!(await sleepUnless(next, `remind of the ${words} owed`, attached))) {
      owed.reminders += 1;
      raiseInBackground(context, {
        key: `post-hoc-reminder:${owed.reminders}`,
        level: 'P3',
        kind: 'post-hoc-reminder',
        stepId: null,
        environment: null,
        message: `${input.service} ${input.version} (${input.type}) still owes its ${words}, ${spokenDuration(Date.now() - Date.parse(owed.owedSince))} after its production work ended; attach the link with POST /api/v1/releases/${input.releaseId}/postmortem`,
        details: { duty: postHoc.duty, reminder: owed.reminders, owedSince: owed.owedSince },
      });
      await records.write(`reminder ${owed.reminders}: ${words} still owed`, { failsStep: false });
      next += postHoc.reminderEveryMs;
    }
  } catch (error) {
    if (!isCancellation(error)) throw error;
    log.info('post-hoc reminders stopped by a cancel', { reminders: owed.reminders });
    return;
  }
  if (state.status === 'awaiting-docs') context.setStatus('succeeded');
  await records.write(`${words} attached by ${markdownText(owed.attached?.by ?? '', 64)}`);
}
