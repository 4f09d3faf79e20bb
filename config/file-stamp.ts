// What a configuration file is right now, cheaply: its inode, size and modification time. Anything
// read from a file is kept under its stamp, and read again once the stamp changes — an edit, or
// another file put in its place — so a change is seen at the next question without a restart.
import { stat } from 'node:fs/promises';

/** Undefined when there is no such file. */
export async function fileStamp(file: string): Promise<string | undefined> {
  const found = await stat(file).catch(() => undefined);
  return found && `${found.ino}:${found.size}:${found.mtimeMs}`;
}

/** Freezes a value kept for many readers: one that changed it would change it for all. */
export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
