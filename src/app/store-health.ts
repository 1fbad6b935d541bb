import { AppError } from '../domain/app-error';
import { Code } from '../domain/code';
import type { StoreFault } from '../store/port';

/**
 * Whether the store can be used. A commit or read that fails for a fault of
 * the storage (a full disk, a read-only file, an I/O error, a database that
 * is down or unreachable) turns it unusable: readiness goes (the caller's
 * onChange), and every call that fails so answers UNAVAILABLE naming the
 * cause. Calls are still tried (the first commit that succeeds ends it), and
 * while nothing else writes, a probe write is tried every probeIntervalMs,
 * so readiness comes back by itself.
 */
export class StoreHealth {
  private cause: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly options: {
      /** The store's judgement of an error: a fault of the storage, or not (see Store.fault). */
      readonly fault: (error: unknown) => StoreFault | undefined;
      /** A real commit; its failure or success reaches failed() or committed() through the writer. */
      readonly probe: () => Promise<unknown>;
      readonly probeIntervalMs?: number;
      readonly onChange: (change: { writable: true } | { writable: false; cause: string; error: unknown }) => void;
    },
  ) {}

  get writable(): boolean {
    return this.cause === undefined;
  }

  /** The error the writes of a failed commit answer with. */
  failed(error: unknown): AppError {
    if (error instanceof AppError) return error;
    const fault = this.options.fault(error);
    if (fault === undefined) return AppError.from(error);
    if (this.cause === undefined) {
      this.cause = fault.message;
      this.options.onChange({ writable: false, cause: fault.message, error });
      this.scheduleProbe();
    }
    this.cause = fault.message;
    return new AppError(Code.Unavailable, fault.id, fault.message, [], { cause: error });
  }

  committed(): void {
    if (this.cause === undefined) return;
    this.cause = undefined;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.options.onChange({ writable: true });
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private scheduleProbe(): void {
    if (this.stopped || this.timer || this.cause === undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.cause === undefined || this.stopped) return;
      // Again while it stays unwritable, whichever way the probe ended.
      const again = () => this.scheduleProbe();
      void this.options.probe().then(again, again);
    }, this.options.probeIntervalMs ?? 1000);
    this.timer.unref();
  }
}
