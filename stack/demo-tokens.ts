// Tokens for the demo identities. Secrets never live in the repository (R-SECRETS): the first start
// generates random ones into .runway/demo.env (git-ignored), later starts reuse them, and variables
// already set in the environment win.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { RunwayConfig } from '../config/config-schema.js';
import { DECISION_KEYS_ENV, generateDecisionKeyEntry } from '../security/decision-signature.js';
import { generatePayloadKeyEntry, PAYLOAD_KEYS_ENV } from '../security/payload-codec.js';

const LINE = /^export ([A-Z_][A-Z0-9_]*)=(\S+)$/;

function readEnvFile(file: string): Map<string, string> {
  const values = new Map<string, string>();
  if (!existsSync(file)) return values;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const match = LINE.exec(line.trim());
    if (match?.[1] && match[2]) values.set(match[1], match[2]);
  }
  return values;
}

/** Sets every identity's token variable in `env`; returns identity name → token, for printing. */
export function provideDemoTokens(
  config: RunwayConfig,
  file: string,
  env: NodeJS.ProcessEnv = process.env,
): Map<string, string> {
  const saved = readEnvFile(file);
  const byIdentity = new Map<string, string>();
  for (const identity of config.settings.identities) {
    // An identity configured by its token's digest brings its own token; none can be made for it.
    if (identity.tokenEnv === undefined) continue;
    const token =
      env[identity.tokenEnv] ?? saved.get(identity.tokenEnv) ?? `rw_${randomBytes(18).toString('base64url')}`;
    saved.set(identity.tokenEnv, token);
    env[identity.tokenEnv] = token;
    byIdentity.set(identity.name, token);
  }
  // The key that signs approval decisions, shared by the API and the worker of the local stack.
  const decisionKeys =
    env[DECISION_KEYS_ENV] ?? saved.get(DECISION_KEYS_ENV) ?? generateDecisionKeyEntry('local-1');
  saved.set(DECISION_KEYS_ENV, decisionKeys);
  env[DECISION_KEYS_ENV] = decisionKeys;
  // The key that encrypts the local stack's workflow payloads (its codec endpoint decrypts them).
  const payloadKeys =
    env[PAYLOAD_KEYS_ENV] ?? saved.get(PAYLOAD_KEYS_ENV) ?? generatePayloadKeyEntry('local-1');
  saved.set(PAYLOAD_KEYS_ENV, payloadKeys);
  env[PAYLOAD_KEYS_ENV] = payloadKeys;
  const lines = [...saved].map(([name, value]) => `export ${name}=${value}`);
  writeFileSync(
    file,
    `# Demo tokens and the decision-signing and payload keys of the local stack: source this file to use the tokens with curl.\n${lines.join('\n')}\n`,
    { mode: 0o600 },
  );
  return byIdentity;
}
