import { Worker } from 'node:worker_threads';

/**
 * Checkpoints the WAL from a worker thread with a connection of its own.
 * Left to SQLite, a checkpoint runs inside whichever commit crosses 1000
 * pages: on the event loop, with an fsync of the database file, stalling
 * every call for tens of milliseconds. Here commits only append to the WAL;
 * PASSIVE checkpoints copy it back beside them and never block a writer.
 */
export interface Checkpointer {
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
const checkpoint = () => {
  try {
    const [result] = db.pragma('wal_checkpoint(PASSIVE)');
    parentPort.postMessage({ kind: 'checkpointed', ...result });
  } catch (error) {
    parentPort.postMessage({ kind: 'failed', reason: String(error && error.message || error) });
  }
};
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.on('message', () => {
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

export function startCheckpointer(
  file: string,
  options: { intervalMs?: number; onCheckpoint?: (result: CheckpointResult) => void; onFailure?: (reason: string) => void } = {},
): Checkpointer {
  const worker = new Worker(WORKER, {
    eval: true,
    workerData: { file, intervalMs: options.intervalMs ?? 500, sqlite: require.resolve('better-sqlite3') },
    // It holds a connection and a timer: keep its heap (and the RSS) small.
    resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 2 },
  });
  worker.unref();
  worker.on('message', (message: { kind: string; log: number; checkpointed: number; reason: string }) => {
    if (message.kind === 'checkpointed') options.onCheckpoint?.({ log: message.log, checkpointed: message.checkpointed });
    else options.onFailure?.(message.reason);
  });
  worker.on('error', (error) => options.onFailure?.(error.message));
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  return {
    stop: () => {
      // Unreferenced, it would not keep the process alive while it stops: the
      // process could run out of work and exit before the stop (and whatever
      // waits for it, the database's close and the "stopped" line) is done.
      worker.ref();
      worker.postMessage('stop');
      return exited;
    },
  };
}
