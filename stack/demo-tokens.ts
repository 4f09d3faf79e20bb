// Tokens for the demo identities. Secrets never live in the repository (R-SECRETS): the first start
// generates random ones into .runway/demo.env (git-ignored), later starts reuse them, and variables
// already set in the environment win.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { RunwayConfig } from '../config/config-schema.js';

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
    const token =
      env[identity.tokenEnv] ?? saved.get(identity.tokenEnv) ?? `rw_${randomBytes(18).toString('base64url')}`;
    saved.set(identity.tokenEnv, token);
    env[identity.tokenEnv] = token;
    byIdentity.set(identity.name, token);
  }
  const lines = [...saved].map(([name, value]) => `export ${name}=${value}`);
  writeFileSync(
    file,
    `# Demo tokens for the local stack: source this file to use them with curl.\n${lines.join('\n')}\n`,
    { mode: 0o600 },
  );
  return byIdentity;
}
