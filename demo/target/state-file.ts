import { readFileSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import { versionSchema } from '../edm-web/version.js';
import { colourSchema } from './model.js';

const persistedColourSchema = z.object({
  version: versionSchema,
  // The pid lets a restarted agent find instances orphaned by a crash.
  pid: z.number().int().positive().nullable(),
});

/** edm-sender's instances, by name; absent in files written before it existed. */
const persistedSenderSchema = z.object({ instances: z.record(z.string(), persistedColourSchema) });

const persistedEnvironmentSchema = z.object({
  // Null since retire and empty environments: nothing takes traffic. Files without it still load.
  activeColour: colourSchema.nullable(),
  colours: z.object({
    blue: persistedColourSchema.nullable(),
    green: persistedColourSchema.nullable(),
  }),
  sender: persistedSenderSchema.optional(),
});

const stateFileSchema = z.object({
  schemaVersion: z.literal(1),
  environments: z.record(z.string(), persistedEnvironmentSchema),
});

export type PersistedColour = z.infer<typeof persistedColourSchema>;
export type PersistedEnvironment = z.infer<typeof persistedEnvironmentSchema>;
export type PersistedSender = z.infer<typeof persistedSenderSchema>;
export type PersistedState = z.infer<typeof stateFileSchema>;

/** The persisted state, or null on a first start. A damaged file stops the agent rather than being overwritten. */
export async function readStateFile(path: string): Promise<PersistedState | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  return parseStateFile(path, text);
}

/** The same, at once: for a process that must stop its instances before it exits. */
export function readStateFileNow(path: string): PersistedState | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  return parseStateFile(path, text);
}

function parseStateFile(path: string, text: string): PersistedState {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(
      `demo target state file ${path} is not valid JSON (${(error as Error).message}); fix or delete it`,
    );
  }
  const parsed = stateFileSchema.safeParse(json);
  if (!parsed.success) {
    throw new Error(
      `demo target state file ${path} is invalid: ${z.prettifyError(parsed.error)}; fix or delete it`,
    );
  }
  return parsed.data;
}

/** Write to a sibling temporary file and rename it over the old one, so a crash never leaves half a file. */
async function writeAtomically(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, text, 'utf8');
  await rename(temporary, path);
}

export interface StateWriter {
  write(state: PersistedState): Promise<void>;
}

/** Writes one at a time in call order, so an older snapshot can never land after a newer one. */
export function createStateWriter(path: string): StateWriter {
  let queue: Promise<void> = Promise.resolve();
  return {
    write(state) {
      const text = `${JSON.stringify(state, null, 2)}\n`;
      const written = queue.then(() => writeAtomically(path, text));
      queue = written.catch(() => undefined);
      return written;
    },
  };
}
