import type { Principal } from '../domain/access';
import { durationText } from '../domain/duration';
import {
  type Details,
  ErrorIds,
  type LifetimesInput,
  type OidcLifetimes,
  type OidcSettings,
  lifetimesEqual,
  settingsAlreadyExist,
  settingsNotFound,
  validateLifetimes,
} from '../domain/oidc-settings';
import type { AppError } from '../domain/app-error';
import type { SettingsState, Store } from '../store/port';
import { type Decision, Writer } from './writer';

export const EventTypes = {
  instanceAdded: 'instance.added',
  settingsAdded: 'instance.oidc.settings.added',
  settingsChanged: 'instance.oidc.settings.changed',
} as const;

/**
 * Commands and queries on one instance's OIDC settings. A command validates,
 * then decides against the latest state, and the writer commits its event
 * and the projection in one transaction; it answers the details. Reads are
 * served from memory when this process is the only writer (SQLite), and
 * from the database when replicas share it (PostgreSQL), so a read never
 * misses a write another replica acknowledged before it began. Callers have
 * authorized the principal already (the RPC layer does, from the method's
 * auth_option).
 */
export class OidcSettingsService {
  private readonly writer: Writer;
  private readonly clock: () => number;
  /** The read the calls of this turn wait for (shared stores only); see fresh(). */
  private nextRead: Promise<SettingsState> | undefined;
  /** The error a call answers when the store failed it (UNAVAILABLE for a fault of the storage). */
  private readonly storeFailure: ((thrown: unknown) => AppError) | undefined;

  private constructor(
    private readonly store: Store,
    readonly instanceId: string,
    initial: SettingsState,
    options: OidcSettingsServiceOptions,
  ) {
    this.clock = options.clock ?? Date.now;
    const onCommit = options.onCommit;
    const health = options.health;
    this.storeFailure = health && ((thrown) => health.failed(thrown));
    this.writer = new Writer(store, instanceId, initial, {
      onCommit: (c) => {
        health?.committed();
        onCommit?.({ durationMs: c.durationMs, writes: c.writes, events: Number(c.after.sequence - c.before.sequence) });
      },
      failure: this.storeFailure,
      onConflict: options.onConflict,
    });
  }

  static async open(store: Store, instanceId: string, options: OidcSettingsServiceOptions = {}): Promise<OidcSettingsService> {
    return new OidcSettingsService(store, instanceId, await store.load(instanceId), options);
  }

  get(): OidcSettings | Promise<OidcSettings> {
    if (!this.store.shared) return present(this.writer.state);
    return this.fresh().then(present);
  }

  async add(principal: Principal, input: LifetimesInput): Promise<Details> {
    const lifetimes = validateLifetimes(input, ErrorIds.addInvalid);
    return this.writer.submit((state) => {
      if (state.settings) throw settingsAlreadyExist();
      return this.record(state, principal, EventTypes.settingsAdded, lifetimes);
    });
  }

  /** Idempotent: the values already stored answer the current details and write nothing. */
  async update(principal: Principal, input: LifetimesInput): Promise<Details> {
    const lifetimes = validateLifetimes(input, ErrorIds.updateInvalid);
    return this.writer.submit((state) => {
      if (!state.settings) throw settingsNotFound(ErrorIds.updateNotFound);
      if (lifetimesEqual(state.settings.lifetimes, lifetimes)) {
        return { state, result: state.settings.details };
      }
      return this.record(state, principal, EventTypes.settingsChanged, lifetimes);
    });
  }

  /** A real commit through the writer that changes no settings: whether the database can be written. */
  probe(): Promise<void> {
    return this.writer.submit((state) => ({ state, result: undefined, probe: true }));
  }

  /** Waits for every write submitted so far; the server calls it before closing the database. */
  drain(): Promise<void> {
    return this.writer.drain();
  }

  /**
   * The latest state in the database, read by a query sent after the call
   * asked for it; the calls of one turn of the event loop share that query.
   */
  private fresh(): Promise<SettingsState> {
    this.nextRead ??= new Promise<void>((resolve) => setImmediate(resolve)).then(async () => {
      this.nextRead = undefined;
      try {
        const latest = await this.store.load(this.instanceId);
        this.writer.observe(latest);
        // The same settings object while nothing changed: the RPC layer keeps its encoding.
        return latest.sequence === this.writer.state.sequence ? this.writer.state : latest;
      } catch (error) {
        throw this.storeFailure ? this.storeFailure(error) : error;
      }
    });
    return this.nextRead;
  }

  private record(state: SettingsState, principal: Principal, type: string, lifetimes: OidcLifetimes): Decision<Details> {
    const now = this.clock();
    const sequence = state.sequence + 1n;
    const settings: OidcSettings = {
      lifetimes,
      details: {
        sequence,
        creationDate: state.settings?.details.creationDate ?? now,
        changeDate: now,
        resourceOwner: this.instanceId,
      },
    };
    const event = {
      instanceId: this.instanceId,
      sequence,
      type,
      payload: {
        old: state.settings ? lifetimesPayload(state.settings.lifetimes) : null,
        new: lifetimesPayload(lifetimes),
      },
      actor: principal.tokenId,
      createdAt: now,
    };
    return { state: { sequence, settings }, result: settings.details, events: [event] };
  }
}

/** Lifetimes as the event log stores them: exact, in Duration's text form ("43200s", "1.5s"). */
export interface OidcSettingsServiceOptions {
  readonly clock?: () => number;
  /** After each commit: how long it took, how many writes it held, how many events they wrote. */
  readonly onCommit?: (commit: { durationMs: number; writes: number; events: number }) => void;
  /** A commit met a state another replica had moved on; its writes are decided again. */
  readonly onConflict?: () => void;
  /** The store's health (see StoreHealth): told of each commit, and makes the error of each failed one. */
  readonly health?: { committed(): void; failed(thrown: unknown): AppError };
}

function present(state: SettingsState): OidcSettings {
  if (!state.settings) throw settingsNotFound(ErrorIds.getNotFound);
  return state.settings;
}

export function lifetimesPayload(l: OidcLifetimes): Record<keyof OidcLifetimes, string> {
  return {
    accessTokenLifetime: durationText(l.accessTokenLifetime),
    idTokenLifetime: durationText(l.idTokenLifetime),
    refreshTokenIdleExpiration: durationText(l.refreshTokenIdleExpiration),
    refreshTokenExpiration: durationText(l.refreshTokenExpiration),
  };
}
