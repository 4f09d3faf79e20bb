// Runs async work one piece at a time, in the order it was asked for. Deterministic (plain promise
// chaining), so workflow code can use it to keep handlers and the main loop from interleaving.
export class Serial {
  #tail: Promise<unknown> = Promise.resolve();

  run<T>(work: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(work);
    this.#tail = result.catch(() => undefined);
    return result;
  }
}
