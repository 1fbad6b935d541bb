import type { Database } from 'better-sqlite3';
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
import { EventLog } from '../store/event-log';
import { SettingsProjection } from '../store/settings-store';
import { WriteProbe } from '../store/write-probe';
import type { AppError } from '../domain/app-error';
import { Writer } from './writer';

export const EventTypes = {
  instanceAdded: 'instance.added',
  settingsAdded: 'instance.oidc.settings.added',
  settingsChanged: 'instance.oidc.settings.changed',
} as const;

interface State {
  /** The instance's event sequence. */
  readonly sequence: bigint;
  readonly settings: OidcSettings | undefined;
}

/**
 * Commands and queries on one instance's OIDC settings. A command validates,
 * then decides against the latest state, appends its event and updates the
 * projection in one transaction, and answers the details. Reads are served
 * from the state the last commit left in memory. Callers have authorized the
 * principal already (the RPC layer does, from the method's auth_option).
 */
export class OidcSettingsService {
  private readonly writer: Writer<State>;
  private readonly events: EventLog;
  private readonly projection: SettingsProjection;
  private readonly clock: () => number;
  private readonly probeRow: WriteProbe;

  constructor(
    db: Database,
    readonly instanceId: string,
    options: {
      readonly clock?: () => number;
      /** After each commit: how long it took, how many writes it held, how many events they wrote. */
      readonly onCommit?: (commit: { durationMs: number; writes: number; events: number }) => void;
      /** The store's health (see StoreHealth): told of each commit, and makes the error of each failed one. */
      readonly health?: { committed(): void; failed(thrown: unknown): AppError };
      /** Held before each commit (see Writer's gate and walGate). */
      readonly gate?: () => Promise<void> | undefined;
    } = {},
  ) {
    this.clock = options.clock ?? Date.now;
    this.events = new EventLog(db);
    this.projection = new SettingsProjection(db);
    const onCommit = options.onCommit;
    const health = options.health;
    this.probeRow = new WriteProbe(db);
    this.writer = new Writer<State>(
      db,
      { sequence: this.events.lastSequence(instanceId), settings: this.projection.get(instanceId) },
      {
        // Only the last state of a batch reaches the projection: one row write per commit.
        persist: (state) => {
          if (state.settings) this.projection.put(instanceId, state.settings);
        },
        onCommit: (c) => {
          health?.committed();
          onCommit?.({ durationMs: c.durationMs, writes: c.writes, events: Number(c.after.sequence - c.before.sequence) });
        },
        failure: health && ((thrown) => health.failed(thrown)),
        gate: options.gate,
      },
    );
  }

  get(): OidcSettings {
    const settings = this.writer.state.settings;
    if (!settings) throw settingsNotFound(ErrorIds.getNotFound);
    return settings;
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
    return this.writer.submit((state) => {
      this.probeRow.write(this.clock());
      return { state, result: undefined };
    });
  }

  /** Waits for every write submitted so far; the server calls it before closing the database. */
  drain(): Promise<void> {
    return this.writer.drain();
  }

  private record(state: State, principal: Principal, type: string, lifetimes: OidcLifetimes) {
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
    this.events.append({
      instanceId: this.instanceId,
      sequence,
      type,
      payload: {
        old: state.settings ? lifetimesPayload(state.settings.lifetimes) : null,
        new: lifetimesPayload(lifetimes),
      },
      actor: principal.tokenId,
      createdAt: now,
    });
    return { state: { sequence, settings }, result: settings.details };
  }
}

/** Lifetimes as the event log stores them: exact, in Duration's text form ("43200s", "1.5s"). */
export function lifetimesPayload(l: OidcLifetimes): Record<keyof OidcLifetimes, string> {
  return {
    accessTokenLifetime: durationText(l.accessTokenLifetime),
    idTokenLifetime: durationText(l.idTokenLifetime),
    refreshTokenIdleExpiration: durationText(l.refreshTokenIdleExpiration),
    refreshTokenExpiration: durationText(l.refreshTokenExpiration),
  };
}
