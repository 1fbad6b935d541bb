import type { Database } from 'better-sqlite3';
import { init } from './001-init';
import { writeProbe } from './002-write-probe';

/** A schema step. `version` is what PRAGMA user_version holds once it ran. */
export interface Migration {
  readonly version: number;
  readonly name: string;
  up(db: Database): void;
}

/** Every migration, in order. Append; never edit one that has shipped. */
export const MIGRATIONS: readonly Migration[] = [init, writeProbe];

export const LATEST_VERSION = MIGRATIONS.at(-1)?.version ?? 0;
