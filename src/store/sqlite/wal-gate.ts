import fs from 'node:fs';
import type { Checkpointer } from './checkpointer';

/**
 * The WAL's bound. SQLite starts the WAL over from its beginning only when
 * a commit finds it entirely copied back into the database; timed PASSIVE
 * checkpoints copy it back beside a steady stream of commits, but every
 * commit adds frames while they run, so that moment never comes and the WAL
 * only grows (175 MB after 14,095 sequential writes). So before a commit,
 * the writer looks at the WAL's size; once it has reached WAL_CHECKPOINT_BYTES
 * it holds its commits back (calls wait, queued; nothing blocks the event
 * loop) while the checkpointer copies what is left, and the next commit
 * starts the WAL over. It then never exceeds WAL_CHECKPOINT_BYTES plus one
 * group commit, by design. journal_size_limit shrinks the file back to
 * WAL_SIZE_LIMIT_BYTES when it starts over.
 */
export const WAL_CHECKPOINT_BYTES = 1024 * 1024;
export const WAL_SIZE_LIMIT_BYTES = 256 * 1024;

/** How often a checkpoint that a reader keeps from finishing is tried again, and how long apart. */
const ATTEMPTS = 50;
const RETRY_MS = 2;

/**
 * Returns the writer's gate: undefined when the WAL may grow by one more
 * commit, or a promise to wait for first (it rejects when the WAL cannot be
 * checkpointed, e.g. on a full disk, with SQLite's error).
 */
export function walGate(databaseFile: string, checkpointer: Checkpointer): () => Promise<void> | undefined {
  const wal = `${databaseFile}-wal`;
  let pending: Promise<void> | undefined;
  // The WAL is still long until the first commit after the checkpoint starts it over.
  let drained = false;
  const drain = async () => {
    for (let attempt = 1; ; attempt++) {
      const result = await checkpointer.checkpointNow();
      if (result.checkpointed >= result.log) return;
      // A reader (the token CLI) still reads frames that are not copied yet.
      if (attempt === ATTEMPTS) {
        throw Object.assign(new Error(`the WAL could not be checkpointed: ${result.checkpointed} of ${result.log} frames`), { code: 'SQLITE_BUSY' });
      }
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
    }
  };
  return () => {
    if (pending) return pending;
    if (drained) {
      drained = false;
      return undefined;
    }
    if (walBytes(wal) < WAL_CHECKPOINT_BYTES) return undefined;
    pending = drain()
      .then(() => {
        drained = true;
      })
      .finally(() => {
        pending = undefined;
      });
    return pending;
  };
}

function walBytes(wal: string): number {
  try {
    return fs.statSync(wal).size;
  } catch {
    return 0;
  }
}
