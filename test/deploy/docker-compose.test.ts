// docker-compose.yml cannot be started here (no Docker engine), so this keeps it from drifting
// away from the code: every file it mounts or runs exists, and the namespace job registers exactly
// the search attributes the workflows use.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { secretVariableFor } from '../../config/command-template.js';
import { loadConfig } from '../../config/load-config.js';
import { BACKUP_KEYS_ENV } from '../../security/backup-cipher.js';
import { projectRoot } from '../../stack/temporal-binaries.js';
import { RUNWAY_SEARCH_ATTRIBUTES } from '../../workflows/search-attributes.js';

interface ComposeService {
  image?: string;
  ports?: string[];
  environment?: Record<string, string>;
  build?: string;
  command?: string | string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
}

// Compose applies YAML merge keys (`<<: *runway`), so the parse does too.
const compose = parse(readFileSync(join(projectRoot, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, ComposeService>;
};
const dockerfile = readFileSync(join(projectRoot, 'Dockerfile'), 'utf8');
/** The stages' instructions in order, comments left out: the build, then the image that runs. */
const [buildStage = '', runtimeStage = ''] = dockerfile
  .replace(/^#.*\n/gm, '')
  .split(/^FROM /m)
  .slice(1);

describe('docker-compose.yml', () => {
  it('mounts and runs only files that exist', () => {
    const missing: string[] = [];
    for (const [name, service] of Object.entries(compose.services)) {
      for (const volume of service.volumes ?? []) {
        const source = volume.split(':')[0] ?? '';
        if (source.startsWith('./') && !existsSync(join(projectRoot, source)))
          missing.push(`${name}: ${source}`);
      }
      const command = Array.isArray(service.command) ? service.command : [];
      for (const part of command.filter((arg) => arg.endsWith('.ts'))) {
        if (!existsSync(join(projectRoot, part))) missing.push(`${name}: ${part}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('only depends on services it defines, and every service has an image or a build', () => {
    const names = new Set(Object.keys(compose.services));
    for (const service of Object.values(compose.services)) {
      expect(service.image ?? service.build).toBeDefined();
      for (const dependency of Object.keys(service.depends_on ?? {}))
        expect(names.has(dependency)).toBe(true);
    }
    expect([...names]).toEqual(
      expect.arrayContaining(['temporal', 'temporal-ui', 'runway-api', 'runway-worker']),
    );
  });

  it('registers the search attributes the workflows set', () => {
    const script = readFileSync(join(projectRoot, 'deploy/compose/create-namespace.sh'), 'utf8');
    const registered = [...script.matchAll(/for attribute in ([^;]+);[\s\S]*?--type (\w+)/g)].flatMap(
      (match) =>
        (match[1] ?? '')
          .trim()
          .split(/\s+/)
          .map((name) => [name, match[2]]),
    );
    expect(Object.fromEntries(registered)).toEqual(RUNWAY_SEARCH_ATTRIBUTES);
  });
});

describe('the image runs what npm run build compiles', () => {
  it("runs Runway's services as compiled entry points, with plain node", () => {
    const runway = Object.entries(compose.services).filter(([name]) => name.startsWith('runway-'));
    expect(runway.map(([name]) => name)).toEqual(['runway-migrate', 'runway-api', 'runway-worker']);
    for (const [, service] of runway) {
      const [program, entry = '', ...rest] = Array.isArray(service.command) ? service.command : [];
      expect([program, rest]).toEqual(['node', []]);
      // dist/api/main.js is compiled from api/main.ts.
      expect(entry).toMatch(/^dist\/.+\.js$/);
      expect(existsSync(join(projectRoot, entry.replace(/^dist\//, '').replace(/\.js$/, '.ts')))).toBe(true);
    }
  });

  it('builds with npm run build, and runs neither tsx nor the TypeScript sources', () => {
    expect(buildStage).toMatch(/^RUN npm run build$/m);
    expect(runtimeStage).toMatch(/^COPY --from=build \/app\/dist \.\/dist$/m);
    expect(runtimeStage).not.toMatch(/tsx|\.ts\b/);
    // Where scripts/bundle-workflows.ts writes by default: workers start without bundling.
    expect(runtimeStage).toContain('RUNWAY_WORKFLOW_BUNDLE=/app/dist/workflow-bundle.js');
  });
});

describe('docker-compose.yml exposure', () => {
  it('publishes no Temporal gRPC port: whoever reaches it could signal or terminate releases', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      for (const port of service.ports ?? []) expect(`${name} ${port}`).not.toMatch(/7233/);
    }
    expect(compose.services.temporal?.ports).toBeUndefined();
  });

  it('serves Temporal Web read-only, on this host only, decoding through the codec endpoint', () => {
    const ui = compose.services['temporal-ui'];
    expect(ui?.environment?.TEMPORAL_DISABLE_WRITE_ACTIONS).toBe('true');
    expect(ui?.environment?.TEMPORAL_CODEC_PASS_ACCESS_TOKEN).toBe('true');
    expect(ui?.environment?.TEMPORAL_CODEC_ENDPOINT).toMatch(/\/codec\}?$/);
    for (const port of ui?.ports ?? []) expect(port.startsWith('127.0.0.1:')).toBe(true);
  });
});

describe('release backups in docker-compose.yml (R-RB-DB)', () => {
  it('runs the PostgreSQL major version whose pg_dump and pg_restore the image installs', () => {
    const server = /^postgres:(\d+)(?:[.-]|$)/.exec(compose.services.postgresql?.image ?? '')?.[1];
    const client = /postgresql-client-(\d+)/.exec(dockerfile)?.[1];
    expect(server).toBe('15');
    // pg_dump must be at least the server's major version; the same keeps restores plain.
    expect(client).toBe(server);
    expect(dockerfile).toContain(`RUNWAY_PG_BIN=/usr/lib/postgresql/${client}/bin`);
  });

  it('gives the workers the backup key and every service database the configuration names, documented', async () => {
    const config = await loadConfig();
    const variables = [BACKUP_KEYS_ENV];
    for (const [name, service] of Object.entries(config.services)) {
      if (!service.database) continue;
      for (const environment of Object.values(config.environments)) {
        if (environment.services[name])
          variables.push(secretVariableFor(service.database.urlEnv, environment.name));
      }
    }
    expect(variables).toContain('EDM_WEB_PRODUCTION_DATABASE_URL');
    const worker = compose.services['runway-worker']?.environment ?? {};
    const example = readFileSync(join(projectRoot, 'deploy/compose/env.example'), 'utf8');
    for (const variable of variables) {
      expect(worker[variable]).toMatch(new RegExp(`^\\$\\{${variable}:`));
      expect(example).toMatch(new RegExp(`^${variable}=$`, 'm'));
    }
    // The worker keeps everything the API and the other workers get.
    expect(worker).toMatchObject(compose.services['runway-api']?.environment ?? {});
  });
});
