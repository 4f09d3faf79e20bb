// Command output is kept by its last bytes, not lines: one line can be megabytes long, and a
// chatty command must not fill the worker's memory, an activity result or a release record
// (R-SECRETS: output is capped in bytes).
import type { Readable } from 'node:stream';

/** What a command may keep while it runs: enough for any tail we record, bounded whatever it prints. */
export const CAPTURE_LIMIT_BYTES = 64 * 1024;

/** Keeps the last `limit` bytes a stream produced, and how many bytes it dropped before them. */
export class OutputTail {
  private chunks: Buffer[] = [];
  private kept = 0;
  dropped = 0;

  constructor(private readonly limit = CAPTURE_LIMIT_BYTES) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.kept += chunk.length;
    while (this.kept - (this.chunks[0]?.length ?? 0) >= this.limit) {
      const first = this.chunks.shift() as Buffer;
      this.kept -= first.length;
      this.dropped += first.length;
    }
  }

  /** Follows a stream until it ends; the promise never rejects (a broken pipe just ends the capture). */
  follow(stream: Readable | null | undefined): Promise<void> {
    if (!stream) return Promise.resolve();
    return new Promise((resolve) => {
      stream.on('data', (chunk: Buffer | string) => this.push(Buffer.from(chunk)));
      stream.once('end', resolve);
      stream.once('close', resolve);
      stream.once('error', () => resolve());
    });
  }

  text(): string {
    const all = Buffer.concat(this.chunks);
    const start = Math.max(0, all.length - this.limit);
    this.dropped += start;
    this.chunks = [all.subarray(start)];
    this.kept = this.chunks[0]?.length ?? 0;
    return utf8From(all.subarray(start));
  }
}

/** The last `maxBytes` bytes of a text (UTF-8), starting on a whole character, marked when cut. */
export function tailBytes(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return text;
  const marker = '[…] ';
  const room = Math.max(0, maxBytes - Buffer.byteLength(marker));
  return marker + utf8From(bytes.subarray(bytes.length - room));
}

/** Decodes bytes that may start in the middle of a character, dropping the partial one. */
function utf8From(bytes: Buffer): string {
  let start = 0;
  // Continuation bytes are 10xxxxxx: skip them to the first byte that begins a character.
  while (start < bytes.length && start < 4 && ((bytes[start] as number) & 0xc0) === 0x80) start++;
  return bytes.subarray(start).toString('utf8');
}

/** A step's recorded output: its last 4 KiB. */
export const STEP_OUTPUT_BYTES = 4 * 1024;
/** Output quoted in an error message: its last 1 KiB. */
export const ERROR_OUTPUT_BYTES = 1024;
