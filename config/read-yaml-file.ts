import { readFile } from 'node:fs/promises';
import { parse, YAMLParseError } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from './config-error.js';

/** Reads one YAML file and validates it against its schema; any problem becomes a ConfigError. */
export async function readYamlFile<S extends z.ZodType>(file: string, schema: S): Promise<z.infer<S>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ConfigError(file, [
      { path: '', message: `cannot read the file (${(error as Error).message})` },
    ]);
  }
  let data: unknown;
  try {
    data = parse(text);
  } catch (error) {
    const message = error instanceof YAMLParseError ? error.message : String(error);
    throw new ConfigError(file, [{ path: '', message: `not valid YAML: ${message}` }]);
  }
  const result = schema.safeParse(data);
  if (!result.success) throw ConfigError.fromZod(file, result.error);
  // zod hands out a default object itself, not a copy: without the clone every configuration
  // loaded in one process would share (and a change to one would change) its defaulted parts,
  // down to the defaults' own constants.
  return structuredClone(result.data);
}
