/**
 * edm-web's configuration bundles (R-CONFIG-CHANGE on the demo target). A bundle is a named file
 * in demo/edm-web/config/<revision>.json: settings, optionally overridden per environment. The
 * agent applies one by writing the environment's live configuration file; every edm-web process of
 * that environment reads it on each request (EDM_CONFIG_FILE), so a new revision is served at once,
 * and settings it cannot work with make it unhealthy, as a bad configuration makes a real service.
 */
import { readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

// Through demo/: the same path from this file and from its bundled copies in demo/dist.
export const CONFIG_BUNDLE_DIR = fileURLToPath(new URL('../edm-web/config/', import.meta.url));
export const CONFIG_FILE_ENV = 'EDM_CONFIG_FILE';

export const REVISION_PATTERN = /^[a-z][a-z0-9-]{0,62}$/;
export const revisionSchema = z
  .string()
  .regex(REVISION_PATTERN, { error: 'must be a lower-case bundle name (a-z, 0-9, -)' });

const settingsSchema = z.record(z.string(), z.unknown());

export const configBundleSchema = z.strictObject({
  description: z.string(),
  settings: settingsSchema,
  /** Per environment: settings that differ there. */
  overrides: z.record(z.string(), settingsSchema).default({}),
});

/** What the agent writes and edm-web reads: the revision in force and its settings for this environment. */
export const liveConfigSchema = z.strictObject({
  revision: revisionSchema,
  appliedAt: z.string(),
  settings: settingsSchema,
});
export type LiveConfig = z.infer<typeof liveConfigSchema>;

/** The settings edm-web can run with; anything else leaves it unable to serve. */
const serviceSettingsSchema = z.looseObject({
  sendRatePerMinute: z.number().int().min(1).max(100_000),
  campaignStore: z.enum(['primary', 'replica']),
  smtpRelay: z.string().min(1),
});

/** The bundle's settings for one environment; throws when there is no such bundle. */
export function bundleSettings(revision: string, environment: string): Record<string, unknown> {
  const text = readFileSync(`${CONFIG_BUNDLE_DIR}${revision}.json`, 'utf8');
  const bundle = configBundleSchema.parse(JSON.parse(text));
  return { ...bundle.settings, ...(bundle.overrides[environment] ?? {}) };
}

export function bundleExists(revision: string): boolean {
  if (!REVISION_PATTERN.test(revision)) return false;
  try {
    return statSync(`${CONFIG_BUNDLE_DIR}${revision}.json`).isFile();
  } catch {
    return false;
  }
}

export interface ServedConfig {
  revision: string | null;
  settings: Record<string, unknown>;
  /** Why the service cannot work with this configuration; null when it can. */
  problem: string | null;
}

/**
 * Reads the live configuration file, again only when it changed. Without a file (a process started
 * by hand) the service runs without a revision.
 */
export function liveConfigReader(file: string | undefined): () => ServedConfig {
  let cached: { mtimeMs: number; size: number; served: ServedConfig } | undefined;
  const none: ServedConfig = { revision: null, settings: {}, problem: null };
  return () => {
    if (!file) return none;
    let stat: { mtimeMs: number; size: number };
    try {
      stat = statSync(file);
    } catch {
      return none;
    }
    if (cached && cached.mtimeMs === stat.mtimeMs && cached.size === stat.size) return cached.served;
    cached = { ...stat, served: readServedConfig(file) };
    return cached.served;
  };
}

function readServedConfig(file: string): ServedConfig {
  try {
    const live = liveConfigSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
    const checked = serviceSettingsSchema.safeParse(live.settings);
    const problem = checked.success
      ? null
      : `configuration ${live.revision} is unusable: ${checked.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`;
    return { revision: live.revision, settings: live.settings, problem };
  } catch (error) {
    return {
      revision: null,
      settings: {},
      problem: `configuration file unreadable: ${(error as Error).message}`,
    };
  }
}
