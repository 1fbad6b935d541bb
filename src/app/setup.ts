import type { OidcLifetimes } from '../domain/oidc-settings';
import type { Store, StoredEvent } from '../store/port';
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
 * IAM_OWNER token, all in one transaction. However many replicas start at
 * once on an empty database, the store lets exactly one of them create it.
 */
export function ensureInstance(store: Store, tokens: Tokens, options: SetupOptions): Promise<Instance> {
  const clock = options.clock ?? Date.now;
  return store.ensureInstance(() => {
    const now = clock();
    const id = newId(now);
    const events: StoredEvent[] = [
      { instanceId: id, sequence: 1n, type: EventTypes.instanceAdded, payload: { id }, actor: 'system', createdAt: now },
    ];
    if (options.seed) {
      events.push({
        instanceId: id,
        sequence: 2n,
        type: EventTypes.settingsAdded,
        payload: { old: null, new: lifetimesPayload(options.seed) },
        actor: 'system',
        createdAt: now,
      });
    }
    const admin = tokens.mint('IAM_OWNER', { description: 'created at first start' });
    return {
      instanceId: id,
      createdAt: now,
      events,
      settings: options.seed && {
        lifetimes: options.seed,
        details: { sequence: 2n, creationDate: now, changeDate: now, resourceOwner: id },
      },
      adminToken: admin.record,
      beforeCommit: () => options.deliverAdminToken(admin.secret),
    };
  });
}
