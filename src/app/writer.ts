import { AppError } from '../domain/app-error';
import { Code } from '../domain/code';
import { type Commit, type SettingsState, type StoredEvent, type Store, StaleStateError } from '../store/port';

/** What a write decided: the next state, its answer, the events that record it. */
export interface Decision<T> {
  readonly state: SettingsState;
  readonly result: T;
  readonly events?: readonly StoredEvent[];
  /** Also rewrite the store's write-probe row (a write that changes no settings). */
  readonly probe?: boolean;
}

/** A write: given the latest state it decides, without side effects; the writer commits what it decided. */
export type Work<T> = (state: SettingsState) => Decision<T>;

interface Job {
  readonly work: Work<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (reason: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: AppError };

/** A batch decided against `before`: the state it leaves, each write's outcome, what to write. */
interface Decided {
  readonly before: SettingsState;
  readonly working: SettingsState;
  readonly outcomes: readonly Outcome[];
  readonly events: readonly StoredEvent[];
  readonly probe: boolean;
}

/**
 * Runs each write of the batch against the state the previous one left. A
 * refusal (an AppError other than INTERNAL) is that write's outcome; anything
 * else thrown is the whole batch's failure, and is thrown.
 */
function decide(batch: readonly Job[], before: SettingsState): Decided {
  let working = before;
  const outcomes: Outcome[] = [];
  const events: StoredEvent[] = [];
  let probe = false;
  for (const job of batch) {
    try {
      const next = job.work(working);
      working = next.state;
      if (next.events) events.push(...next.events);
      if (next.probe) probe = true;
      outcomes.push({ ok: true, value: next.result });
    } catch (error) {
      if (!(error instanceof AppError) || error.code === Code.Internal) throw error;
      outcomes.push({ ok: false, error });
    }
  }
  return { before, working, outcomes, events, probe };
}

/** Decisions taken again at most this often when other writers keep appending first. */
const MAX_ATTEMPTS = 20;

/** What a write answers when other writers appended first every time: ABORTED, gRPC's code for a lost race, which a client may retry. */
export const CONTENDED_ID = 'WRITE-c0nf1c';

/**
 * The one writer of an instance's settings in this process, with group
 * commit: writes submitted in the same turn of the event loop share one
 * transaction (one fsync), yet each keeps its own decision, its own event
 * and its own answer, and none is answered before the commit returned.
 *
 * Decisions are taken against the latest state this process knows; the
 * store checks at commit that it still is the latest (another replica may
 * have appended first). When it is not, nothing was written: the writer
 * decides the whole batch again, under the store's write lock when it has
 * one (PostgreSQL), else against the reloaded state, up to 20 times.
 *
 * A write that refuses (throws an AppError other than INTERNAL) fails alone.
 * Anything else thrown fails every write of its batch, and nothing of the
 * batch is written. Readers see `state` only as of the last commit.
 */
export class Writer {
  private committed: SettingsState;
  private queue: Job[] = [];
  private scheduled = false;
  /** A commit in flight, or held back by the gate: the next batch waits. */
  private busy = false;

  constructor(
    private readonly store: Store,
    private readonly instanceId: string,
    initial: SettingsState,
    private readonly options: {
      readonly maxBatch?: number;
      /** After each commit: its duration, the writes it held, the states before and after. */
      readonly onCommit?: (commit: { durationMs: number; writes: number; before: SettingsState; after: SettingsState }) => void;
      /** The error every write of a failed commit answers (default AppError.from: INTERNAL). */
      readonly failure?: (thrown: unknown) => AppError;
      /** A commit was refused because another writer appended first; the batch is decided again. */
      readonly onConflict?: () => void;
    } = {},
  ) {
    this.committed = initial;
  }

  /** The state as of the last commit this process made or saw. */
  get state(): SettingsState {
    return this.committed;
  }

  /** A state read from the store: kept when it is newer than what this process knows. */
  observe(state: SettingsState): void {
    if (state.sequence > this.committed.sequence) this.committed = state;
  }

  /** Resolves once every write submitted so far has committed or failed. */
  async drain(): Promise<void> {
    if (this.queue.length > 0 || this.busy) await this.submit((state) => ({ state, result: undefined })).catch(() => undefined);
  }

  submit<T>(work: Work<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.busy) return;
    this.scheduled = true;
    // setImmediate runs after the poll phase: every request read off the
    // sockets in this turn has queued its write by then.
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.scheduled = false;
    if (this.queue.length === 0 || this.busy) return;
    const gate = this.store.gate?.();
    if (gate) {
      this.busy = true;
      gate.then(
        () => this.settle(),
        (error: unknown) => {
          const failure = this.fail(error);
          for (const job of this.queue.splice(0)) job.reject(failure);
          this.settle();
        },
      );
      return;
    }
    const batch = this.queue.splice(0, this.options.maxBatch ?? 1000);
    const done = this.run(batch, this.committed, 1);
    if (done) {
      this.busy = true;
      void done.then(() => this.settle());
    } else if (this.queue.length > 0) this.schedule();
  }

  private settle(): void {
    this.busy = false;
    if (this.queue.length > 0) this.schedule();
  }

  /**
   * Decides the batch against `before` and commits it; undefined when that
   * finished at once (SQLite), else a promise that never rejects.
   */
  private run(batch: readonly Job[], before: SettingsState, attempt: number): Promise<void> | undefined {
    const started = performance.now();
    let decided: Decided;
    try {
      decided = decide(batch, before);
    } catch (error) {
      this.rejectAll(batch, error);
      return undefined;
    }
    const { events, probe } = decided;
    const finish = () => this.finish(batch, decided, started);
    // Nothing to write, and nobody else writes: the decision stands as it is.
    if (events.length === 0 && !probe && !this.store.shared) {
      finish();
      return undefined;
    }
    const retry = (error: unknown): Promise<void> | undefined => {
      if (!(error instanceof StaleStateError)) {
        this.rejectAll(batch, error);
        return undefined;
      }
      this.options.onConflict?.();
      // Decided again under the store's write lock: that decision cannot lose, however busy the other writers are.
      if (this.store.commitLocked) return this.runLocked(batch, attempt + 1);
      if (attempt >= MAX_ATTEMPTS) {
        this.abortLost(batch, attempt, error);
        return undefined;
      }
      const reload = async () => {
        try {
          const latest = await this.store.load(this.instanceId);
          this.committed = latest;
          await this.run(batch, latest, attempt + 1);
        } catch (loadError) {
          this.rejectAll(batch, loadError);
        }
      };
      return reload();
    };
    let pending: void | Promise<void>;
    try {
      pending = this.store.commit(this.commitOf(decided));
    } catch (error) {
      return retry(error);
    }
    if (!pending) {
      finish();
      return undefined;
    }
    return pending.then(finish, retry);
  }

  /** Decides and commits the batch in one locked transaction of the store; never rejects. */
  private async runLocked(batch: readonly Job[], attempt: number): Promise<void> {
    const started = performance.now();
    let decided: Decided | undefined;
    try {
      await this.store.commitLocked!(this.instanceId, (latest) => {
        decided = decide(batch, latest);
        const { events, probe } = decided;
        return events.length > 0 || probe ? this.commitOf(decided) : undefined;
      });
    } catch (error) {
      if (!(error instanceof StaleStateError)) {
        this.rejectAll(batch, error);
        return;
      }
      // Only a writer that appends without taking the lock beats a locked decision:
      // a replica of an older version, during a rolling upgrade. Bounded like the optimistic retries.
      this.options.onConflict?.();
      if (attempt >= MAX_ATTEMPTS) this.abortLost(batch, attempt, error);
      else await this.runLocked(batch, attempt + 1);
      return;
    }
    this.finish(batch, decided!, started);
  }

  /** The race was lost every time: not a fault of the store (so not failure()), nor of this service; nothing was written. */
  private abortLost(batch: readonly Job[], attempts: number, cause: StaleStateError): void {
    const lost = new AppError(Code.Aborted, CONTENDED_ID, `the settings kept changing on another replica; nothing was written after ${attempts} attempts, try again`, [], { cause });
    for (const job of batch) job.reject(lost);
  }

  private commitOf({ before, working, events, probe }: Decided): Commit {
    return {
      instanceId: this.instanceId,
      expectedSequence: before.sequence,
      events,
      settings: working.settings !== before.settings ? working.settings : undefined,
      probeAt: probe ? Date.now() : undefined,
    };
  }

  /** The batch committed: the state moves on, and each write gets its answer. */
  private finish(batch: readonly Job[], { before, working, outcomes }: Decided, started: number): void {
    if (working.sequence >= this.committed.sequence) this.committed = working;
    this.options.onCommit?.({ durationMs: performance.now() - started, writes: batch.length, before, after: working });
    batch.forEach((job, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) job.resolve(outcome.value);
      else job.reject(outcome.error);
    });
  }

  private rejectAll(batch: readonly Job[], thrown: unknown): void {
    const failure = this.fail(thrown);
    for (const job of batch) job.reject(failure);
  }

  private fail(thrown: unknown): AppError {
    return this.options.failure ? this.options.failure(thrown) : AppError.from(thrown);
  }
}
