import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { bundleExists, bundleSettings, type LiveConfig, liveConfigSchema } from '../edm-web/live-config.js';
import { DemoTargetError, TARGET_CHANGED_CODE } from './model.js';

/** What edm-web runs with on a first start. */
export const INITIAL_REVISION = 'baseline';

export interface ConfigStatus {
  environment: string;
  revision: string | null;
  appliedAt: string | null;
}

/** The live configuration files live beside the state file, one per environment. */
export function configFileFor(stateFile: string, environment: string): string {
  return join(dirname(stateFile), 'config', `edm-web-${environment}.json`);
}

/**
 * edm-web's configuration in one environment: which bundle is in force. Applying is compare-and-swap
 * on the revision, like a deploy on the active colour: a revision someone changed meanwhile is never
 * overwritten (409 target-changed), and applying the revision already in force changes nothing.
 */
export class EnvironmentConfig {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly environment: string,
    readonly file: string,
  ) {}

  /** Puts the initial bundle in place when the environment has none yet (a first start). */
  async ensureInitialised(): Promise<void> {
    if (existsSync(this.file)) return;
    await this.write(INITIAL_REVISION);
  }

  status(): ConfigStatus {
    const live = this.read();
    return {
      environment: this.environment,
      revision: live?.revision ?? null,
      appliedAt: live?.appliedAt ?? null,
    };
  }

  /** `expectRevision`: what the caller saw in force (null: nothing); undefined checks nothing. */
  apply(
    revision: string,
    expectRevision?: string | null,
  ): Promise<ConfigStatus & { previousRevision: string | null }> {
    const run = this.queue.then(async () => {
      if (!bundleExists(revision)) {
        throw new DemoTargetError(400, `edm-web has no configuration bundle "${revision}"`);
      }
      const current = this.read()?.revision ?? null;
      if (current === revision) return { ...this.status(), previousRevision: current };
      if (expectRevision !== undefined && expectRevision !== current) {
        throw new DemoTargetError(
          409,
          `apply ${revision} refused: ${this.environment} runs configuration ${current ?? 'none'}, but the caller expected ${expectRevision ?? 'none'}; someone changed it`,
          { code: TARGET_CHANGED_CODE, revision: current },
        );
      }
      await this.write(revision);
      return { ...this.status(), previousRevision: current };
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  private read(): LiveConfig | null {
    if (!existsSync(this.file)) return null;
    return liveConfigSchema.parse(JSON.parse(readFileSync(this.file, 'utf8')));
  }

  /** Atomically, so a process reading it never sees half a file. */
  private async write(revision: string): Promise<void> {
    const live: LiveConfig = {
      revision,
      appliedAt: new Date().toISOString(),
      settings: bundleSettings(revision, this.environment),
    };
    mkdirSync(dirname(this.file), { recursive: true });
    const temporary = `${this.file}.${process.pid}.tmp`;
    await writeFile(temporary, `${JSON.stringify(live)}\n`);
    await rename(temporary, this.file);
  }
}
