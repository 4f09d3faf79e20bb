// Every deploy, switch and retire the agent receives, and every update of an edm-sender instance,
// one JSON line each (key, action, environment, colour or instance, version, time, outcome), so what a release did to the target can be read back — and a
// repeated idempotency key is a no-op: a driver call retried by a new worker after the first one
// died answers with the first call's result and changes nothing. Keys survive an agent restart.
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';

export type LoggedAction = 'deploy' | 'switch' | 'retire' | 'update' | 'configure';

export interface ActionLogEntry {
  time: string;
  key: string | null;
  action: LoggedAction;
  environment: string;
  /** edm-web's colour (deploy, switch, retire). */
  colour?: string;
  /** edm-sender's instance (update). */
  instance?: string;
  version: string | null;
  /** edm-web's configuration bundle (configure). */
  revision?: string;
  /** applied: the call ran; repeat: its key had run before, nothing changed; refused/failed: it did not run. */
  outcome: 'applied' | 'repeat' | 'refused' | 'failed';
  detail?: string;
}

type Call = Omit<ActionLogEntry, 'time' | 'outcome' | 'detail'>;

export class ActionLog {
  readonly #results = new Map<string, unknown>();
  readonly #inFlight = new Map<string, Promise<unknown>>();

  private constructor(readonly file: string) {}

  /** Opens the log, remembering the result of every key that was applied before. */
  static open(file: string): ActionLog {
    const log = new ActionLog(file);
    mkdirSync(dirname(file), { recursive: true });
    if (existsSync(file)) {
      for (const line of readFileSync(file, 'utf8').split('\n')) {
        if (!line.trim()) continue;
        try {
          const entry = JSON.parse(line) as ActionLogEntry & { result?: unknown };
          if (entry.key && entry.outcome === 'applied') log.#results.set(entry.key, entry.result ?? null);
        } catch {
          // A line cut short by a crash: the call it describes is retried with its key.
        }
      }
    }
    return log;
  }

  /** Runs `operation` once per key; a repeated key gets the first call's result. */
  async run<T>(call: Call, operation: () => Promise<T>): Promise<T> {
    const { key } = call;
    if (key === null) return this.#runAndLog(call, operation);
    if (this.#results.has(key)) {
      this.#append({ ...call, outcome: 'repeat' });
      return this.#results.get(key) as T;
    }
    const running = this.#inFlight.get(key);
    if (running) {
      const result = (await running) as T;
      this.#append({ ...call, outcome: 'repeat' });
      return result;
    }
    const attempt = this.#runAndLog(call, operation);
    this.#inFlight.set(key, attempt);
    try {
      return await attempt;
    } finally {
      this.#inFlight.delete(key);
    }
  }

  async #runAndLog<T>(call: Call, operation: () => Promise<T>): Promise<T> {
    try {
      const result = await operation();
      if (call.key) this.#results.set(call.key, result);
      this.#append({ ...call, outcome: 'applied' }, result);
      return result;
    } catch (error) {
      const refused = (error as { status?: number }).status === 409;
      this.#append({ ...call, outcome: refused ? 'refused' : 'failed', detail: (error as Error).message });
      throw error;
    }
  }

  #append(entry: Omit<ActionLogEntry, 'time'>, result?: unknown): void {
    const line = { time: new Date().toISOString(), ...entry, ...(result === undefined ? {} : { result }) };
    appendFileSync(this.file, `${JSON.stringify(line)}\n`);
  }
}

/** Reads the log back, for tests and people. */
export function readActionLog(file: string): ActionLogEntry[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as ActionLogEntry);
}
