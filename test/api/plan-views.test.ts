// What the API shows of a plan must not move when the code that shapes it does: the plan of every
// recorded release history and the dry-run plan of every runbook for every service are compared with
// the views kept beside this test. A difference is either a defect or a change of the API, which
// then re-writes the kept views in the same commit, with its reason.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { defaultPayloadConverter } from '@temporalio/common';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { describe, expect, it } from 'vitest';
import { planJson } from '../../api/release-json.js';
import { loadConfig } from '../../config/load-config.js';
import { loadRunbook } from '../../runbooks/load-runbook.js';
import { resolveReleasePlan } from '../../runbooks/resolve-release-plan.js';
import { PayloadEncryptionCodec } from '../../security/payload-codec.js';
import { RELEASE_TYPES, type ReleaseInput } from '../../workflows/release-model.js';
import { testPayloadKeys } from '../support/payload-keys.js';
import { createTestApp } from './api-test-app.js';

const HISTORIES = join(import.meta.dirname, '..', 'replay', 'histories');
const KEPT = join(import.meta.dirname, 'plan-views');

async function startInputOf(file: string): Promise<ReleaseInput> {
  const history = historyFromJSON(JSON.parse(await readFile(join(HISTORIES, file), 'utf8')));
  const payloads = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads ?? [];
  const [first] = await new PayloadEncryptionCodec(testPayloadKeys).decode(payloads);
  const input = defaultPayloadConverter.fromPayload(first as never) as ReleaseInput | { input: ReleaseInput };
  // Starts authorised by the API carry the release's input beside their claim.
  return 'plan' in input ? input : input.input;
}

describe('what the API shows of plans', () => {
  it('of every recorded release history are as kept', async () => {
    const files = (await readdir(HISTORIES)).filter((file) => file.endsWith('.json')).sort();
    for (const file of files) {
      const input = await startInputOf(file);
      if (!input?.plan) continue;
      await expect(`${JSON.stringify(planJson(input.plan), null, 2)}\n`).toMatchFileSnapshot(
        join(KEPT, 'histories', file),
      );
    }
  });

  it('of every runbook resolved for every service are as kept', async () => {
    const config = await loadConfig();
    for (const type of RELEASE_TYPES) {
      const runbook = await loadRunbook(type);
      for (const service of Object.keys(config.services).sort()) {
        const bundles = Object.keys(config.services[service]?.configuration?.bundles ?? {}).sort();
        const version = type === 'config-change' ? (bundles[0] ?? 'no-bundle') : '2.0.0';
        let view: unknown;
        try {
          view = planJson(resolveReleasePlan({ runbook, config, service, version }));
        } catch (error) {
          view = { refused: String(error) };
        }
        await expect(`${JSON.stringify(view, null, 2)}\n`).toMatchFileSnapshot(
          join(KEPT, 'dry-runs', `${type}-${service}.json`),
        );
      }
    }
  });

  it('the OpenAPI document is as kept', async () => {
    const { app } = await createTestApp();
    const document = await (await app.request('/openapi.json')).json();
    await expect(`${JSON.stringify(document, null, 2)}\n`).toMatchFileSnapshot(join(KEPT, 'openapi.json'));
  });
});
