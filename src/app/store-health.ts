import { AppError } from '../domain/app-error';
import { Code } from '../domain/code';
import { writeFaultCause } from '../store/write-fault';

export const STORE_UNWRITABLE_ID = 'STORE-w7r1t3';

/**
 * Whether the database can be written. A commit that fails for a fault of
 * the storage (a full disk, a read-only file, an I/O error) turns it
 * unwritable: readiness goes (the caller's onChange), and every write that
 * fails answers UNAVAILABLE naming the cause. Writes are still tried (the
 * first that commits ends it), and while nothing else writes, a probe write
 * is tried every probeIntervalMs, so readiness comes back by itself.
 */
export class StoreHealth {
  private cause: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly options: {
      readonly databaseFile: string;
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
    const cause = writeFaultCause(error, this.options.databaseFile);
    if (cause === undefined) return AppError.from(error);
    if (this.cause === undefined) {
      this.cause = cause;
      this.options.onChange({ writable: false, cause, error });
      this.scheduleProbe();
    }
    this.cause = cause;
    return new AppError(Code.Unavailable, STORE_UNWRITABLE_ID, `the database cannot be written: ${cause}`, [], { cause: error });
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
