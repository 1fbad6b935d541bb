import type { Database } from 'better-sqlite3';
import { AppError } from '../domain/app-error';
import { Code } from '../domain/code';

/** A write: given the current state it decides, writes, and returns the next state. */
export type Work<S, T> = (state: S) => { readonly state: S; readonly result: T };

interface Job<S> {
  readonly work: Work<S, unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (reason: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: AppError };

/**
 * The single writer of a state kept in memory and in SQLite, with group
 * commit: writes submitted in the same turn of the event loop share one
 * transaction (one fsync), yet each keeps its own decision, its own event
 * and its own answer, and none is answered before the commit returned.
 *
 * A write that refuses (throws an AppError other than INTERNAL) must do so
 * before it writes; it fails alone. Anything else thrown rolls the whole
 * batch back and fails every write in it: nothing half-done is acknowledged.
 * Readers see `state` only as of the last commit, never a pending batch.
 */
export class Writer<S> {
  private committed: S;
  private queue: Job<S>[] = [];
  private scheduled = false;
  /** Held back by the gate. */
  private waiting = false;

  constructor(
    private readonly db: Database,
    initial: S,
    private readonly options: {
      readonly maxBatch?: number;
      /**
       * Writes what a batch leaves behind (e.g. a projection of the state),
       * once per batch, inside its transaction, when the state changed.
       */
      readonly persist?: (state: S) => void;
      /** After each commit: its duration, the writes it held, the states before and after. */
      readonly onCommit?: (commit: { durationMs: number; writes: number; before: S; after: S }) => void;
      /** The error every write of a failed commit answers (default AppError.from: INTERNAL). */
      readonly failure?: (thrown: unknown) => AppError;
      /**
       * Asked before each commit: undefined to go on, or a promise to wait
       * for first, writes staying queued (e.g. while the WAL is checkpointed);
       * when it rejects, every queued write fails with failure(its error).
       */
      readonly gate?: () => Promise<void> | undefined;
    } = {},
  ) {
    this.committed = initial;
  }

  /** The state as of the last commit. */
  get state(): S {
    return this.committed;
  }

  /** Resolves once every write submitted so far has committed or failed. */
  async drain(): Promise<void> {
    if (this.queue.length > 0) await this.submit((state) => ({ state, result: undefined }));
  }

  submit<T>(work: Work<S, T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.waiting) return;
    this.scheduled = true;
    // setImmediate runs after the poll phase: every request read off the
    // sockets in this turn has queued its write by then.
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.scheduled = false;
    if (this.queue.length === 0) return;
    const gate = this.options.gate?.();
    if (gate) {
      this.waiting = true;
      gate.then(
        () => {
          this.waiting = false;
          this.flush();
        },
        (error: unknown) => {
          this.waiting = false;
          const failure = this.fail(error);
          for (const job of this.queue.splice(0)) job.reject(failure);
        },
      );
      return;
    }
    const batch = this.queue.splice(0, this.options.maxBatch ?? 1000);
    if (this.queue.length > 0) this.schedule();

    const before = this.committed;
    let working = before;
    const outcomes: Outcome[] = [];
    const started = performance.now();
    try {
      this.db.transaction(() => {
        for (const job of batch) {
          try {
            const next = job.work(working);
            working = next.state;
            outcomes.push({ ok: true, value: next.result });
          } catch (error) {
            if (!(error instanceof AppError) || error.code === Code.Internal) throw error;
            outcomes.push({ ok: false, error });
          }
        }
        if (working !== before) this.options.persist?.(working);
      })();
    } catch (error) {
      const failure = this.fail(error);
      for (const job of batch) job.reject(failure);
      return;
    }
    this.committed = working;
    this.options.onCommit?.({ durationMs: performance.now() - started, writes: batch.length, before, after: working });
    batch.forEach((job, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) job.resolve(outcome.value);
      else job.reject(outcome.error);
    });
  }

  private fail(thrown: unknown): AppError {
    return this.options.failure ? this.options.failure(thrown) : AppError.from(thrown);
  }
}
