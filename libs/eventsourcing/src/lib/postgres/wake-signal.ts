/**
 * A wake-up for a polling loop that is not lost when it arrives while nobody waits (a NOTIFY
 * during a batch): the next wait then returns at once.
 */
export class WakeSignal {
  private pending = false;
  private resolve: (() => void) | undefined;

  /** A notify arrived that no wait has taken yet. */
  get woken(): boolean {
    return this.pending;
  }

  notify(): void {
    this.pending = true;
    this.resolve?.();
  }

  /** Resolves on the next notify, or after timeoutMs. */
  wait(timeoutMs: number): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.resolve = undefined;
        this.pending = false;
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.resolve = done;
    });
  }
}
