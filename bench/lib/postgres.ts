/**
 * PostgreSQL for the bench: the same throwaway cluster the tests start
 * (test/helpers/postgres.ts: initdb into a temporary folder, 127.0.0.1 on a
 * free port, fsync and synchronous_commit on), and what the bench reads of it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { type PostgresCluster, pgQuery, postgresAvailable, startPostgres } from '../../test/helpers/postgres';
import { processTreeCpuSeconds } from './proc';

export { type PostgresCluster, postgresAvailable, startPostgres };

/** The newest event's sequence in a database holding one instance (see events.ts lastSequence). */
export async function lastPostgresSequence(url: string): Promise<number> {
  const rows = await pgQuery<{ last: string }>(url, 'SELECT coalesce(max(sequence), 0) AS last FROM events');
  return Number(rows[0]!.last);
}

/** Connections open on the server under an application_name (the service's pools name theirs 'oidc-settings'). */
export async function connectionsOf(url: string, applicationName: string): Promise<number> {
  const rows = await pgQuery<{ n: number }>(url, 'SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1', [applicationName]);
  return rows[0]!.n;
}

/** The server settings that decide what a commit costs, for the report. */
const SETTINGS = ['fsync', 'synchronous_commit', 'wal_sync_method', 'commit_delay', 'full_page_writes', 'shared_buffers', 'max_connections'];

export interface PostgresInfo {
  readonly version: string;
  readonly settings: Record<string, string>;
}

export async function postgresInfo(url: string): Promise<PostgresInfo> {
  const [version] = await pgQuery<{ server_version: string }>(url, 'SHOW server_version');
  const rows = await pgQuery<{ name: string; setting: string; unit: string | null }>(
    url,
    'SELECT name, setting, unit FROM pg_settings WHERE name = ANY($1) ORDER BY name',
    [SETTINGS],
  );
  return {
    version: version!.server_version,
    settings: Object.fromEntries(rows.map((r) => [r.name, r.unit && r.unit !== 's' && r.unit !== 'ms' ? `${r.setting} × ${r.unit}` : r.setting])),
  };
}

/**
 * A reading of the CPU seconds the cluster has used: the postmaster and
 * every process it forked (a backend per connection, the WAL writer, the
 * checkpointer), so that PostgreSQL's share of the two cores shows beside
 * the servers' instead of as "other load".
 */
export function postgresCpu(cluster: PostgresCluster): () => number {
  // The helper keeps the data directory in `data/` of its folder; the pid file's first line is the postmaster's.
  const pidFile = path.join(cluster.dir, 'data', 'postmaster.pid');
  const pid = Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 1) throw new Error(`no postmaster pid in ${pidFile}`);
  return () => processTreeCpuSeconds(pid);
}
