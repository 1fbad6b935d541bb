import type { Migration } from './index';

/**
 * The first schema. STRICT tables; the event log is append-only (triggers
 * refuse UPDATE and DELETE) and is the audit trail; oidc_settings is the
 * projection of the latest state, written in the same transaction as its event.
 */
export const init: Migration = {
  version: 1,
  name: 'init',
  up(db) {
    db.exec(`
      CREATE TABLE instances (
        id          TEXT    PRIMARY KEY,
        created_at  INTEGER NOT NULL
      ) STRICT;

      CREATE TABLE events (
        instance_id TEXT    NOT NULL REFERENCES instances (id),
        sequence    INTEGER NOT NULL CHECK (sequence > 0),
        type        TEXT    NOT NULL,
        payload     TEXT    NOT NULL CHECK (json_valid(payload)),
        actor       TEXT    NOT NULL,
        created_at  INTEGER NOT NULL,
        PRIMARY KEY (instance_id, sequence)
      ) STRICT, WITHOUT ROWID;

      CREATE TRIGGER events_no_update BEFORE UPDATE ON events
        BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
      CREATE TRIGGER events_no_delete BEFORE DELETE ON events
        BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;

      -- Durations as google.protobuf.Duration holds them: seconds and nanos.
      CREATE TABLE oidc_settings (
        instance_id                         TEXT    PRIMARY KEY REFERENCES instances (id),
        access_token_lifetime_seconds       INTEGER NOT NULL,
        access_token_lifetime_nanos         INTEGER NOT NULL,
        id_token_lifetime_seconds           INTEGER NOT NULL,
        id_token_lifetime_nanos             INTEGER NOT NULL,
        refresh_token_idle_expiration_seconds INTEGER NOT NULL,
        refresh_token_idle_expiration_nanos INTEGER NOT NULL,
        refresh_token_expiration_seconds    INTEGER NOT NULL,
        refresh_token_expiration_nanos      INTEGER NOT NULL,
        sequence                            INTEGER NOT NULL,
        created_at                          INTEGER NOT NULL,
        changed_at                          INTEGER NOT NULL
      ) STRICT;

      -- Personal access tokens: only the SHA-256 of the secret is stored.
      CREATE TABLE tokens (
        id          TEXT    PRIMARY KEY,
        hash        BLOB    NOT NULL UNIQUE CHECK (length(hash) = 32),
        role        TEXT    NOT NULL,
        description TEXT    NOT NULL DEFAULT '',
        created_at  INTEGER NOT NULL,
        expires_at  INTEGER,
        revoked_at  INTEGER
      ) STRICT;
    `);
  },
};
