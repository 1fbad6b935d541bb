/**
 * The store's counters from the service's GET /metrics (Prometheus text
 * format), summed over the replicas of a run: how many commits, how long
 * they took, how many writes and events they carried, and how many were
 * refused because another replica appended first.
 */
const COUNTERS = {
  commits: 'oidc_settings_store_commit_duration_seconds_count',
  commitSeconds: 'oidc_settings_store_commit_duration_seconds_sum',
  writes: 'oidc_settings_store_commit_writes_sum',
  events: 'oidc_settings_events_written_total',
  conflicts: 'oidc_settings_store_commit_conflicts_total',
} as const;

export type StoreCounter = keyof typeof COUNTERS;

/** `name value` lines (no labels) of a Prometheus text exposition. */
function unlabelled(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*) (\S+)$/.exec(line);
    if (match) values.set(match[1]!, Number(match[2]));
  }
  return values;
}

/**
 * Calls answered with each status other than OK, as `failed <code>`: the
 * load generator sees only that a gRPC call failed, the server says how.
 */
function failedCalls(text: string, into: Record<string, number>): void {
  for (const line of text.split('\n')) {
    const match = /^oidc_settings_calls_total\{([^}]*)\} (\S+)$/.exec(line);
    const code = match ? /code="([^"]*)"/.exec(match[1]!)?.[1] : undefined;
    if (code === undefined || code === 'OK' || code === '0') continue;
    into[`failed ${code}`] = (into[`failed ${code}`] ?? 0) + Number(match![2]);
  }
}

/** The counters (and the failed calls by status), summed over the servers whose HTTP ports are given. */
export async function storeCounters(httpPorts: readonly number[]): Promise<Record<StoreCounter, number> & Record<string, number>> {
  const sums: Record<StoreCounter, number> & Record<string, number> = { commits: 0, commitSeconds: 0, writes: 0, events: 0, conflicts: 0 };
  for (const port of httpPorts) {
    const response = await fetch(`http://127.0.0.1:${port}/metrics`);
    if (response.status !== 200) throw new Error(`GET /metrics on port ${port}: HTTP ${response.status}`);
    const text = await response.text();
    const values = unlabelled(text);
    for (const [key, name] of Object.entries(COUNTERS) as Array<[StoreCounter, string]>) {
      const value = values.get(name);
      if (value === undefined) throw new Error(`GET /metrics on port ${port} has no ${name}`);
      sums[key] += value;
    }
    failedCalls(text, sums);
  }
  return sums;
}
