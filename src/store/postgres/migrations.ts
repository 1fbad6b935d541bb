/**
 * The PostgreSQL schema, as numbered steps recorded in schema_migrations.
 * The same data model as SQLite's (store/sqlite/migrations): the
 * append-only event log is the source of truth; the settings projection and
 * the tokens live beside it. Append; never edit a step that has shipped.
 */
export interface PostgresMigration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export const POSTGRES_MIGRATIONS: readonly PostgresMigration[] = [
  {
    version: 1,
    name: 'init',
    sql: `
      CREATE TABLE instances (
        id          text   PRIMARY KEY,
        created_at  bigint NOT NULL
      );

      -- One aggregate per instance, so (instance, sequence) is the key: a
      -- writer that decided on a stale state fails on it and decides again.
      CREATE TABLE events (
        instance_id text   NOT NULL REFERENCES instances (id),
        sequence    bigint NOT NULL CHECK (sequence > 0),
        type        text   NOT NULL,
        payload     jsonb  NOT NULL,
        actor       text   NOT NULL,
        created_at  bigint NOT NULL,
        PRIMARY KEY (instance_id, sequence)
      );

      CREATE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'the event log is append-only';
      END $$;
      CREATE TRIGGER events_no_change BEFORE UPDATE OR DELETE ON events
        FOR EACH ROW EXECUTE FUNCTION events_append_only();
      CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
        FOR EACH STATEMENT EXECUTE FUNCTION events_append_only();

      -- Durations as google.protobuf.Duration holds them: seconds and nanos.
      CREATE TABLE oidc_settings (
        instance_id                           text    PRIMARY KEY REFERENCES instances (id),
        access_token_lifetime_seconds         bigint  NOT NULL,
        access_token_lifetime_nanos           integer NOT NULL,
        id_token_lifetime_seconds             bigint  NOT NULL,
        id_token_lifetime_nanos               integer NOT NULL,
        refresh_token_idle_expiration_seconds bigint  NOT NULL,
        refresh_token_idle_expiration_nanos   integer NOT NULL,
        refresh_token_expiration_seconds      bigint  NOT NULL,
        refresh_token_expiration_nanos        integer NOT NULL,
        sequence                              bigint  NOT NULL,
        created_at                            bigint  NOT NULL,
        changed_at                            bigint  NOT NULL
      );

      -- Personal access tokens: only the SHA-256 of the secret is stored.
      CREATE TABLE tokens (
        id          text   PRIMARY KEY,
        hash        bytea  NOT NULL UNIQUE CHECK (length(hash) = 32),
        role        text   NOT NULL,
        description text   NOT NULL DEFAULT '',
        created_at  bigint NOT NULL,
        expires_at  bigint,
        revoked_at  bigint
      );

      -- Bumped by every statement that changes tokens: each replica reads it
      -- (one row) to know when to forget the tokens it remembers.
      CREATE TABLE token_changes (
        id      smallint PRIMARY KEY CHECK (id = 1),
        version bigint   NOT NULL
      );
      INSERT INTO token_changes (id, version) VALUES (1, 0);
      CREATE FUNCTION tokens_changed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        UPDATE token_changes SET version = version + 1 WHERE id = 1;
        RETURN NULL;
      END $$;
      CREATE TRIGGER tokens_changed AFTER INSERT OR UPDATE OR DELETE ON tokens
        FOR EACH STATEMENT EXECUTE FUNCTION tokens_changed();

      -- A real write that touches nothing else: whether the database can be written.
      CREATE TABLE write_probe (
        id          smallint PRIMARY KEY CHECK (id = 1),
        written_at  bigint   NOT NULL
      );
    `,
  },
  {
    version: 2,
    name: 'append-function',
    sql: `
      -- Appends a commit's events under the instance's write lock (its row,
      -- FOR NO KEY UPDATE), only if the log still ends at p_expected, and
      -- answers how many it appended: 0 when another writer appended first.
      -- VOLATILE, so each statement in it takes a fresh snapshot: after
      -- waiting for the lock it sees what the holder committed, and a lost
      -- race is a 0, not a duplicate-key error in the server's log.
      CREATE FUNCTION append_events(
        p_instance text, p_expected bigint,
        p_sequences bigint[], p_types text[], p_payloads text[], p_actors text[], p_created bigint[]
      ) RETURNS integer LANGUAGE plpgsql VOLATILE AS $$
      BEGIN
        PERFORM 1 FROM instances WHERE id = p_instance FOR NO KEY UPDATE;
        IF (SELECT coalesce(max(sequence), 0) FROM events WHERE instance_id = p_instance) <> p_expected THEN
          RETURN 0;
        END IF;
        INSERT INTO events (instance_id, sequence, type, payload, actor, created_at)
          SELECT p_instance, u.sequence, u.type, u.payload::jsonb, u.actor, u.created_at
          FROM unnest(p_sequences, p_types, p_payloads, p_actors, p_created) AS u (sequence, type, payload, actor, created_at);
        RETURN cardinality(p_sequences);
      END
      $$;
    `,
  },
];

export const POSTGRES_LATEST_VERSION = POSTGRES_MIGRATIONS.at(-1)?.version ?? 0;
