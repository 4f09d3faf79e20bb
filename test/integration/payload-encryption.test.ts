// R-SECRETS, payload encryption: what the Temporal server holds of a release is ciphertext, read
// back with a bare client (no codec), while Runway's own codec reads it all; and Temporal Web shows
// it in clear only through the API's codec endpoint, checked in a real headless Chromium.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import type { temporal } from '@temporalio/proto';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReleaseSchema } from '../../api/release-schemas.js';
import { isEncrypted, PayloadEncryptionCodec } from '../../security/payload-codec.js';
import { RELEASE_RULES_PATCH, RULES_FIRST_PATCH } from '../../workflows/release-rules.js';
import { START_AUTHORITY_PATCH } from '../../workflows/start-authority.js';
import { testDataConverter, testPayloadKeys } from '../support/payload-keys.js';
import { releaseApi } from '../support/release-api.js';
import { releaseWorkflowBundle } from '../support/release-workflow-bundle.js';
import { startTestStack, type TestStack } from '../support/runway-stack.js';

/** Debian's package; elsewhere point RUNWAY_CHROMIUM_PATH at a Chromium or Chrome binary. */
const CHROMIUM = process.env.RUNWAY_CHROMIUM_PATH ?? '/usr/bin/chromium';

let stack: TestStack;
let workflowBundle: WorkflowBundleWithSourceMap;
let bareConnection: Connection;
/** What anyone with access to the Temporal server (or its database) reads: no codec. */
let bare: Client;

beforeAll(async () => {
  workflowBundle = await releaseWorkflowBundle();
  stack = await startTestStack(workflowBundle, { temporalWeb: true });
  bareConnection = await Connection.connect({ address: stack.temporal.address });
  bare = new Client({ connection: bareConnection, namespace: stack.config.settings.temporal.namespace });
});

afterAll(async () => {
  await bareConnection?.close();
  await stack?.stop();
});

const { api, requestRelease, waitForStatus } = releaseApi(() => stack);
const codec = new PayloadEncryptionCodec(testPayloadKeys);
const marker = (what: string) => `${what}-${randomBytes(6).toString('hex')}`;

interface FoundPayload {
  payload: Payload;
  /** Where it sits, e.g. events.3.workflowExecutionStartedEventAttributes.input.payloads.0 */
  path: string;
}

/** Every payload in a history (or any API message), with where it was found. */
function payloadsIn(node: unknown, path = ''): FoundPayload[] {
  if (node === null || typeof node !== 'object' || node instanceof Uint8Array) return [];
  if ('data' in node && 'metadata' in node && (node.data === null || node.data instanceof Uint8Array)) {
    return [{ payload: node as Payload, path }];
  }
  return Object.entries(node).flatMap(([key, value]) => payloadsIn(value, path ? `${path}.${key}` : key));
}

const payloadText = ({ metadata, data }: Payload): string =>
  [...Object.values(metadata ?? {}), data ?? new Uint8Array()]
    .map((bytes) => Buffer.from(bytes).toString('utf8'))
    .join('\n');

/** Search attributes stay readable by design (Temporal indexes them); every other payload is sealed. */
const isSearchAttribute = ({ path }: FoundPayload) => /(^|\.)searchAttributes\./.test(path);

async function historyAtRest(workflowId: string) {
  const history = await bare.workflow.getHandle(workflowId).fetchHistory();
  const found = payloadsIn(history).filter((entry) => !isSearchAttribute(entry));
  const decoded = await codec.decode(found.map((entry) => entry.payload));
  return {
    /** The history as JSON, every payload's bytes also spelled out as UTF-8, as a reader of the database sees it. */
    clear: `${JSON.stringify(historyToJSON(history))}\n${found.map(({ payload }) => payloadText(payload)).join('\n')}`,
    decoded: decoded.map(payloadText).join('\n'),
    found,
    history: history as temporal.api.history.v1.IHistory,
  };
}

/** Heartbeat details of the release's running activities, as the server holds them. */
async function pendingHeartbeats(workflowId: string): Promise<Payload[]> {
  const description = await bare.workflow.getHandle(workflowId).describe();
  return (description.raw.pendingActivities ?? []).flatMap(
    (activity) => (activity.heartbeatDetails?.payloads ?? []) as Payload[],
  );
}

let approvedThenRejected: { id: string; markers: string[] } | undefined;

describe('a release at rest in Temporal', () => {
  it('is ciphertext to a bare client: inputs, update arguments, summaries, heartbeats, results', async () => {
    const changeRef = marker('CHG-secret');
    const approvalComment = marker('approval-comment');
    const rejectionComment = marker('rejection-comment');
    const version = `7.${Date.now() % 1000}.1`;
    const started = await requestRelease(version, { changeRef });
    expect(started.status).toBe(201);
    const id = ReleaseSchema.parse(started.body).id;

    const heartbeats: Payload[] = [];
    for (let status = ''; status !== 'awaiting-approval'; ) {
      heartbeats.push(...(await pendingHeartbeats(id)));
      status = (await api('GET', `/releases/${id}`, 'dev-chen')).body.status as string;
      expect(status).not.toBe('failed');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(heartbeats.length, 'a running deploy heartbeats at least once').toBeGreaterThan(0);
    expect(heartbeats.every(isEncrypted)).toBe(true);
    expect(heartbeats.map(payloadText).join('\n')).not.toMatch(/action|colour|deploy/);
    const heartbeatDetails = (await codec.decode(heartbeats)).map(payloadText).join('\n');
    expect(heartbeatDetails).toMatch(/"action":"(inspect|deploy|check|switch)"/);

    const approved = await api('POST', `/releases/${id}/approvals`, 'pm-li', {
      decision: 'approve',
      comment: approvalComment,
    });
    expect(approved.status).toBe(202);
    const rejected = await api('POST', `/releases/${id}/approvals`, 'tl-zhang', {
      decision: 'reject',
      comment: rejectionComment,
    });
    expect(rejected.status).toBe(202);
    const done = await waitForStatus(id, ['rejected', 'failed', 'succeeded']);
    expect(done.status).toBe('rejected');

    const { clear, decoded, found, history } = await historyAtRest(id);
    const hidden = [changeRef, approvalComment, rejectionComment, 'ops-wang', 'pm-li', 'tl-zhang'];
    for (const text of hidden) expect(clear, `${text} in clear`).not.toContain(text);
    for (const text of [...hidden, version]) expect(decoded, `${text} once decoded`).toContain(text);
    // Only ids and type names remain: the version shows in the release id and its search attribute.
    // The payloads the SDK writes itself, past the codec, are a local activity marker's bookkeeping
    // (sequence number, attempt, activity type, times; its result is sealed) and the patch markers'
    // ids (the start-authority check's and the release rules').
    const sealed = found.filter(({ payload }) => isEncrypted(payload));
    const unsealed = found.filter(({ payload }) => !isEncrypted(payload));
    for (const { path, payload } of unsealed) {
      const json = JSON.parse(payloadText({ data: payload.data }));
      if (/\.details\.patch-data\.payloads\.0$/.test(path)) {
        expect([START_AUTHORITY_PATCH, RELEASE_RULES_PATCH, RULES_FIRST_PATCH]).toContain(json.id);
        expect(json).toEqual({ id: json.id, deprecated: false });
        continue;
      }
      expect(path).toMatch(/^events\.\d+\.markerRecordedEventAttributes\.details\.data\.payloads\.0$/);
      expect(Object.keys(json)).toEqual(
        expect.arrayContaining(['seq', 'attempt', 'activity_id', 'activity_type']),
      );
    }
    expect(sealed.length).toBeGreaterThan(unsealed.length);
    expect(found.map(({ payload }) => payloadText(payload)).join('\n')).not.toContain(version);
    const kinds = new Set(found.map(({ path }) => path.replace(/^events\.\d+\./, '').replace(/\.\d+/g, '')));
    for (const kind of [
      'workflowExecutionStartedEventAttributes.input.payloads',
      'workflowExecutionUpdateAcceptedEventAttributes.acceptedRequest.input.args.payloads',
      'workflowExecutionUpdateCompletedEventAttributes.outcome.success.payloads',
      'activityTaskScheduledEventAttributes.input.payloads',
      'activityTaskCompletedEventAttributes.result.payloads',
      'userMetadata.summary',
      'userMetadata.details',
    ]) {
      expect([...kinds], `payloads of ${kind}`).toContain(kind);
    }
    const sizes = sealed.map(({ payload }) => payload.data?.length ?? 0);
    console.log(
      `release history: ${history.events?.length} events, ${sealed.length} of ${found.length} payloads encrypted ` +
        `(the others: local activity marker bookkeeping); ` +
        `${sizes.reduce((a, b) => a + b, 0)} bytes of ciphertext`,
    );
    // Recorded for the replay suite, such a history replays with the test stacks' key.
    await Worker.runReplayHistory({ workflowBundle, dataConverter: testDataConverter }, history, id);
    approvedThenRejected = { id, markers: [changeRef, approvalComment] };
  });

  it('keeps failure messages and stack traces in encrypted attributes', async () => {
    const started = await requestRelease('7.9.0+failing');
    expect(started.status).toBe(201);
    const id = ReleaseSchema.parse(started.body).id;
    const failed = await waitForStatus(id, ['failed', 'succeeded', 'awaiting-approval'], 120_000);
    expect(failed.status).toBe('failed');
    expect(failed.failure?.reason).toMatch(/failed its checks/);

    const { clear, decoded, history } = await historyAtRest(id);
    const failures = (history.events ?? []).flatMap((event) => {
      const failure =
        event.activityTaskFailedEventAttributes?.failure ??
        event.workflowExecutionFailedEventAttributes?.failure;
      return failure ? [failure] : [];
    });
    expect(failures.length).toBeGreaterThan(0);
    for (const failure of failures) {
      expect(failure.message).toBe('Encoded failure');
      expect(failure.stackTrace ?? '').toBe('');
      expect(isEncrypted(failure.encodedAttributes as Payload)).toBe(true);
    }
    expect(clear).not.toMatch(/failed its checks|at async|\.ts:\d+/);
    expect(decoded).toMatch(/failed its checks/);
    expect(decoded).toContain('stack_trace');
    // Runway's own client decodes it as the error it was.
    const failure = await stack.runway.client.workflow
      .getHandle(id)
      .result()
      .catch((error: unknown) => error);
    expect(String((failure as { cause?: Error }).cause?.message)).toMatch(/failed its checks/);
  });
});

describe('Temporal Web', () => {
  let browser: Browser;

  beforeAll(async () => {
    expect(
      existsSync(CHROMIUM),
      `${CHROMIUM} is missing: apt-get install -y chromium, or set RUNWAY_CHROMIUM_PATH`,
    ).toBe(true);
    browser = await chromium.launch({ executablePath: CHROMIUM });
  });

  afterAll(async () => {
    await browser?.close();
  });

  /** The release's page in Temporal Web: its input, and the body text once the workflow has loaded. */
  async function releasePage(
    id: string,
    options: { codecReachable: boolean; screenshot?: string; awaitText: string },
  ) {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1800 } });
    try {
      const codecCalls: string[] = [];
      await page.route('**/codec/**', async (route) => {
        codecCalls.push(route.request().url());
        if (options.codecReachable) await route.continue();
        else await route.abort('connectionrefused');
      });
      const url = `${stack.temporal.uiUrl}/namespaces/${stack.config.settings.temporal.namespace}/workflows/${encodeURIComponent(id)}`;
      await page.goto(url, { timeout: 20_000 });
      await page.getByText(id).first().waitFor({ timeout: 20_000 });
      await page.waitForLoadState('networkidle', { timeout: 15_000 }).catch(() => {});
      // Temporal Web decodes an event's payloads one request at a time (one per activity summary
      // too): on a busy machine the input comes last. What the page must end up showing, it shows.
      await page
        .getByText(options.awaitText)
        .first()
        .waitFor({ timeout: 20_000 })
        .catch(() => {});
      // biome-ignore lint/performance/useDomNodeTextContent: what a reader sees is the rendered text
      const text = await page.locator('body').innerText();
      if (options.screenshot) await page.screenshot({ path: options.screenshot, fullPage: true });
      return { text, codecCalls };
    } finally {
      await page.close();
    }
  }

  it('shows a release decoded through the codec endpoint, and only ciphertext without it', async () => {
    expect(approvedThenRejected, 'the release of the first test').toBeDefined();
    const { id, markers } = approvedThenRejected as { id: string; markers: string[] };
    const [changeRef] = markers as [string];

    const decoded = await releasePage(id, {
      codecReachable: true,
      screenshot: '/tmp/temporal-web-codec.png',
      awaitText: changeRef,
    });
    expect(decoded.codecCalls.some((url) => new URL(url).pathname === '/codec/decode')).toBe(true);
    expect(decoded.text).toContain(changeRef);

    const withoutCodec = await releasePage(id, {
      codecReachable: false,
      screenshot: '/tmp/temporal-web-no-codec.png',
      awaitText: 'Codec Server could not connect',
    });
    expect(withoutCodec.codecCalls.length).toBeGreaterThan(0);
    expect(withoutCodec.text).toContain(id);
    expect(withoutCodec.text).toContain('Codec Server could not connect');
    expect(withoutCodec.text).not.toContain(changeRef);
  }, 90_000);
});
