import { Worker } from 'node:worker_threads';

/**
 * Checkpoints the WAL from a worker thread with a connection of its own.
 * Left to SQLite, a checkpoint runs inside whichever commit crosses 1000
 * pages: on the event loop, with an fsync of the database file, stalling
 * every call for tens of milliseconds. Here commits only append to the WAL;
 * PASSIVE checkpoints copy it back beside them, on a timer, and never block
 * a writer. The writer asks for one more (checkpointNow) while it holds its
 * commits back, when the WAL has grown past its bound: see wal-gate.ts.
 */
export interface Checkpointer {
  /** A PASSIVE checkpoint now, after any in progress; rejects with the SQLite error (its `code`) when it fails. */
  checkpointNow(): Promise<CheckpointResult>;
  /** Resolves once the worker closed its connection. */
  stop(): Promise<void>;
}

// Plain JS, run with eval, so it works the same from the compiled build and
// from the TypeScript sources under test.
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.sqlite);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('busy_timeout = 1000');
db.pragma('synchronous = FULL');
const checkpoint = (id) => {
  try {
    const [result] = db.pragma('wal_checkpoint(PASSIVE)');
    parentPort.postMessage({ kind: 'checkpointed', id, ...result });
  } catch (error) {
    parentPort.postMessage({ kind: 'failed', id, code: error && error.code, reason: String(error && error.message || error) });
  }
};
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.on('message', (message) => {
  if (message.kind === 'checkpoint') {
    checkpoint(message.id);
    return;
  }
  clearInterval(timer);
  checkpoint();
  db.close();
  parentPort.close();
});
`;

export interface CheckpointResult {
  /** WAL frames, and how many of them are now in the database file. */
  readonly log: number;
  readonly checkpointed: number;
}

/** A failed checkpoint: SQLite's message and its extended result code (e.g. SQLITE_FULL). */
export interface CheckpointFailure {
  readonly reason: string;
  readonly code: string | undefined;
  /** Failures since the last report, this one included (1 for the first of a run). */
  readonly failures: number;
}

/** Failures in a row are reported when they start, then at most this often, and their end once. */
const FAILURE_REPORT_INTERVAL_MS = 60_000;

interface Message {
  kind: 'checkpointed' | 'failed';
  id?: number;
  log: number;
  checkpointed: number;
  code?: string;
  reason: string;
}

export function startCheckpointer(
  file: string,
  options: {
    intervalMs?: number;
    onCheckpoint?: (result: CheckpointResult) => void;
    /** The first timed checkpoint that fails, then one report a minute while they keep failing. */
    onFailure?: (failure: CheckpointFailure) => void;
    /** A timed checkpoint succeeded after failures were reported. */
    onRecovery?: () => void;
  } = {},
): Checkpointer {
  const worker = new Worker(WORKER, {
    eval: true,
    workerData: { file, intervalMs: options.intervalMs ?? 500, sqlite: require.resolve('better-sqlite3') },
    // It holds a connection and a timer: keep its heap (and the RSS) small.
    resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 2 },
  });
  worker.unref();
  const requested = new Map<number, { resolve: (r: CheckpointResult) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  // Every 500 ms while the disk is full would bury the log: a run of failures
  // is reported when it starts, then once a minute, and when it ends.
  let failing = false;
  let unreported = 0;
  let reportedAt = 0;
  const failed = (reason: string, code: string | undefined) => {
    unreported++;
    const now = performance.now();
    if (failing && now - reportedAt < FAILURE_REPORT_INTERVAL_MS) return;
    options.onFailure?.({ reason, code, failures: unreported });
    failing = true;
    unreported = 0;
    reportedAt = now;
  };
  worker.on('message', (message: Message) => {
    const request = message.id === undefined ? undefined : requested.get(message.id);
    if (request) {
      requested.delete(message.id!);
      if (message.kind === 'checkpointed') request.resolve({ log: message.log, checkpointed: message.checkpointed });
      else request.reject(Object.assign(new Error(message.reason), { code: message.code }));
      return;
    }
    if (message.kind === 'checkpointed') {
      if (failing) {
        failing = false;
        unreported = 0;
        options.onRecovery?.();
      }
      options.onCheckpoint?.({ log: message.log, checkpointed: message.checkpointed });
    } else failed(message.reason, message.code);
  });
  worker.on('error', (error) => failed(error.message, undefined));
  let running = true;
  const exited = new Promise<void>((resolve) =>
    worker.once('exit', () => {
      running = false;
      for (const request of requested.values()) request.reject(new Error('the checkpointer stopped'));
      requested.clear();
      resolve();
    }),
  );
  return {
    checkpointNow: () =>
      new Promise((resolve, reject) => {
        // A writer waiting for an answer that never comes would wait forever.
        if (!running) {
          reject(new Error('the checkpointer stopped'));
          return;
        }
        const id = nextId++;
        requested.set(id, { resolve, reject });
        worker.postMessage({ kind: 'checkpoint', id });
      }),
    stop: () => {
      // Unreferenced, it would not keep the process alive while it stops: the
      // process could run out of work and exit before the stop (and whatever
      // waits for it, the database's close and the "stopped" line) is done.
      worker.ref();
      worker.postMessage({ kind: 'stop' });
      return exited;
    },
  };
}
