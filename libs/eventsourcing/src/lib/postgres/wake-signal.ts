/**
 * A wake-up for a polling loop that is not lost when it arrives while nobody waits (a NOTIFY
 * during a batch): the next wait then returns at once.
 */
export class WakeSignal {
  private isPending = false;
  private resolve: (() => void) | undefined;

  /** Whether a notify arrived that no wait has consumed yet; consumes it. */
  take(): boolean {
    const pending = this.isPending;
    this.isPending = false;
    return pending;
  }

  notify(): void {
    this.isPending = true;
    this.resolve?.();
  }

  /** Resolves on the next notify, or after timeoutMs. */
  wait(timeoutMs: number): Promise<void> {
    if (this.isPending) {
      this.isPending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.resolve = undefined;
        this.isPending = false;
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.resolve = done;
    });
  }
}
