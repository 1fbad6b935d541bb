import type { Database, Statement } from 'better-sqlite3';
import type { Duration } from '../../domain/duration';
import type { OidcLifetimes, OidcSettings } from '../../domain/oidc-settings';
import { PROJECTION_COLUMNS, PROJECTION_ON_CONFLICT } from '../projection';

/** Instances: this service serves one, created at first start. */
export class InstanceStore {
  private readonly first: Statement<[], { id: string; created_at: number }>;
  private readonly insert: Statement<[string, number]>;

  constructor(db: Database) {
    this.first = db.prepare('SELECT id, created_at FROM instances ORDER BY created_at, id LIMIT 1');
    this.insert = db.prepare('INSERT INTO instances (id, created_at) VALUES (?, ?)');
  }

  find(): { id: string; createdAt: number } | undefined {
    const row = this.first.get();
    return row && { id: row.id, createdAt: row.created_at };
  }

  create(id: string, createdAt: number): void {
    this.insert.run(id, createdAt);
  }
}

interface SettingsRow {
  access_token_lifetime_seconds: number;
  access_token_lifetime_nanos: number;
  id_token_lifetime_seconds: number;
  id_token_lifetime_nanos: number;
  refresh_token_idle_expiration_seconds: number;
  refresh_token_idle_expiration_nanos: number;
  refresh_token_expiration_seconds: number;
  refresh_token_expiration_nanos: number;
  sequence: number;
  created_at: number;
  changed_at: number;
}

type UpsertParams = [string, ...number[]];

/** The projection: the latest OIDC settings of each instance. */
export class SettingsProjection {
  private readonly select: Statement<[string], SettingsRow>;
  private readonly upsert: Statement<UpsertParams>;

  constructor(db: Database) {
    this.select = db.prepare('SELECT * FROM oidc_settings WHERE instance_id = ?');
    this.upsert = db.prepare(`INSERT INTO oidc_settings VALUES (${PROJECTION_COLUMNS.map(() => '?').join(', ')}) ${PROJECTION_ON_CONFLICT}`);
  }

  get(instanceId: string): OidcSettings | undefined {
    const row = this.select.get(instanceId);
    if (!row) return undefined;
    const d = (seconds: number, nanos: number): Duration => ({ seconds: BigInt(seconds), nanos });
    return {
      lifetimes: {
        accessTokenLifetime: d(row.access_token_lifetime_seconds, row.access_token_lifetime_nanos),
        idTokenLifetime: d(row.id_token_lifetime_seconds, row.id_token_lifetime_nanos),
        refreshTokenIdleExpiration: d(
          row.refresh_token_idle_expiration_seconds,
          row.refresh_token_idle_expiration_nanos,
        ),
        refreshTokenExpiration: d(row.refresh_token_expiration_seconds, row.refresh_token_expiration_nanos),
      },
      details: {
        sequence: BigInt(row.sequence),
        creationDate: row.created_at,
        changeDate: row.changed_at,
        resourceOwner: instanceId,
      },
    };
  }

  /** Must run inside the transaction that appends the matching event. */
  put(instanceId: string, settings: OidcSettings): void {
    const l: OidcLifetimes = settings.lifetimes;
    this.upsert.run(
      instanceId,
      Number(l.accessTokenLifetime.seconds),
      l.accessTokenLifetime.nanos,
      Number(l.idTokenLifetime.seconds),
      l.idTokenLifetime.nanos,
      Number(l.refreshTokenIdleExpiration.seconds),
      l.refreshTokenIdleExpiration.nanos,
      Number(l.refreshTokenExpiration.seconds),
      l.refreshTokenExpiration.nanos,
      Number(settings.details.sequence),
      settings.details.creationDate,
      settings.details.changeDate,
    );
  }
}
