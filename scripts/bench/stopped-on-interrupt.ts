// A benchmark's servers are processes of their own and would outlive it: Ctrl-C or SIGTERM stops
// them before the benchmark exits, as the end of the work or an error does.
export async function stoppedOnInterrupt<T>(stop: () => Promise<void>, work: () => Promise<T>): Promise<T> {
  let stopping: Promise<void> | undefined;
  const stopOnce = () => {
    stopping ??= stop().catch((error: unknown) => console.error('stopping:', error));
    return stopping;
  };
  const interrupted = (signal: NodeJS.Signals) => {
    console.error(`\n${signal}: stopping what the benchmark started…`);
    void stopOnce().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    return await work();
  } finally {
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
    await stopOnce();
  }
}

/** What a benchmark started, stopped newest first, each whatever the others do. */
export function startedThings() {
  const stops: (() => Promise<unknown>)[] = [];
  return {
    add(stop: () => Promise<unknown>): void {
      stops.push(stop);
    },
    async stopAll(): Promise<void> {
      for (let stop = stops.pop(); stop; stop = stops.pop()) await stop().catch(() => {});
    },
  };
}
