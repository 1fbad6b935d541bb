import type { Migration } from './index';

/**
 * One row the server rewrites to learn whether the database can be written
 * again after a commit failed (a full disk, a read-only file): readiness
 * comes back only when a real commit succeeds.
 */
export const writeProbe: Migration = {
  version: 2,
  name: 'write-probe',
  up(db) {
    db.exec(`
      CREATE TABLE write_probe (
        id          INTEGER PRIMARY KEY CHECK (id = 1),
        written_at  INTEGER NOT NULL
      ) STRICT;
    `);
  },
};
