import type { Database } from 'better-sqlite3';
import type { OidcLifetimes } from '../domain/oidc-settings';
import { EventLog } from '../store/event-log';
import { InstanceStore, SettingsProjection } from '../store/settings-store';
import { newId } from './ids';
import { EventTypes, lifetimesPayload } from './oidc-settings-service';
import type { Tokens } from './tokens';

export interface SetupOptions {
  /** The lifetimes a new instance starts with; undefined seeds none. */
  readonly seed: OidcLifetimes | undefined;
  /**
   * Receives the first IAM_OWNER token's secret before the instance is
   * committed (e.g. to write admin.pat), so a crash never leaves an
   * instance whose owner token nobody has.
   */
  readonly deliverAdminToken: (secret: string) => void;
  readonly clock?: () => number;
}

export interface Instance {
  readonly id: string;
  readonly created: boolean;
}

/**
 * Finds the instance, or creates it on first start: the instance, its seeded
 * OIDC settings (each with its event, as ZITADEL's setup does) and an
 * IAM_OWNER token, all in one transaction.
 */
export function ensureInstance(db: Database, tokens: Tokens, options: SetupOptions): Instance {
  const instances = new InstanceStore(db);
  const existing = instances.find();
  if (existing) return { id: existing.id, created: false };

  const clock = options.clock ?? Date.now;
  const now = clock();
  const id = newId(now);
  const events = new EventLog(db);
  db.transaction(() => {
    instances.create(id, now);
    events.append({
      instanceId: id,
      sequence: 1n,
      type: EventTypes.instanceAdded,
      payload: { id },
      actor: 'system',
      createdAt: now,
    });
    if (options.seed) {
      events.append({
        instanceId: id,
        sequence: 2n,
        type: EventTypes.settingsAdded,
        payload: { old: null, new: lifetimesPayload(options.seed) },
        actor: 'system',
        createdAt: now,
      });
      new SettingsProjection(db).put(id, {
        lifetimes: options.seed,
        details: { sequence: 2n, creationDate: now, changeDate: now, resourceOwner: id },
      });
    }
    const admin = tokens.issue('IAM_OWNER', { description: 'created at first start' });
    options.deliverAdminToken(admin.secret);
  })();
  return { id, created: true };
}
