/**
 * Runs a pass now and then every `intervalMs`, never two at once. `wake()` asks for a pass as soon
 * as the current one ends (a commit just queued work); `stop()` waits for the pass in flight.
 * The outbox and the escalation ladder share it: their state lives in the database, so a pass
 * can always be repeated safely.
 */
export class Poller {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private rerun = false;
  private stopped = true;

  constructor(private readonly pass: () => Promise<unknown>, private readonly intervalMs: number, private readonly onError: (error: unknown) => void) {}

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  wake(): void {
    if (this.stopped) return;
    if (this.running) this.rerun = true;
    else this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.running = this.pass()
        .then(() => undefined, this.onError)
        .finally(() => {
          this.running = undefined;
          const again = this.rerun;
          this.rerun = false;
          this.schedule(again ? 0 : this.intervalMs);
        });
    }, delayMs);
    this.timer.unref?.();
  }
}
