import type { Logger } from './log';

/**
 * SIGTERM and SIGINT, caught from construction on (a signal that comes
 * while the server starts is kept for when it is up), until release():
 * from then on a signal has its default effect, so one more Ctrl-C ends a
 * stop that hangs.
 */
export class Signals {
  private readonly seen: NodeJS.Signals[] = [];
  private readonly waiting: Array<() => void> = [];
  private readonly onSignal = (signal: NodeJS.Signals) => {
    this.seen.push(signal);
    this.waiting.splice(0).forEach((wake) => wake());
  };

  constructor() {
    process.on('SIGTERM', this.onSignal);
    process.on('SIGINT', this.onSignal);
  }

  /** The first signal; `early` when it came before this was asked (while starting). */
  private async first(): Promise<{ signal: NodeJS.Signals; early: boolean }> {
    const early = this.seen.length > 0;
    while (this.seen.length === 0) await new Promise<void>((resolve) => this.waiting.push(resolve));
    return { signal: this.seen[0]!, early };
  }

  /** Waits ms, or less if another signal comes meanwhile. */
  private next(ms: number): Promise<void> {
    const count = this.seen.length;
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      const wake = () => {
        if (this.seen.length === count) {
          this.waiting.push(wake);
          return;
        }
        clearTimeout(timer);
        resolve();
      };
      this.waiting.push(wake);
    });
  }

  /**
   * Resolves with the first signal once it is time for the graceful stop.
   * SIGTERM is what Kubernetes, Docker and systemd send: after a start that
   * finished, it first drains for `drainMs` (`drain` is called at once and
   * the drain is logged: /readyz says 503 while calls are still served, so
   * load balancers move away before connections are refused); another
   * signal ends the drain. SIGINT (a person at a terminal, Ctrl-C), a
   * signal that came while starting, or a drain of 0 stop at once. Then the
   * signals are released: one more has its default effect.
   */
  async untilStop(drainMs: number, logger: Logger, drain: () => void): Promise<NodeJS.Signals> {
    const { signal, early } = await this.first();
    if (signal === 'SIGTERM' && !early && drainMs > 0) {
      drain();
      logger.info({ signal, drainSeconds: drainMs / 1000 }, 'draining');
      logger.flush();
      await this.next(drainMs);
    }
    this.release();
    return signal;
  }

  private release(): void {
    process.off('SIGTERM', this.onSignal);
    process.off('SIGINT', this.onSignal);
    this.waiting.splice(0);
  }
}
