import fs from 'node:fs';

/**
 * Descriptors kept for everything but client connections: stdio, the
 * database, its WAL and shared memory, the checkpoint worker's connection,
 * epoll, the listening sockets, files the page is served from.
 */
export const RESERVED_DESCRIPTORS = 64;

/** The soft limit on open files (ulimit -n), where the system says; undefined elsewhere. */
export function openFileLimit(limits = '/proc/self/limits'): number | undefined {
  try {
    const line = fs.readFileSync(limits, 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
    const soft = line?.slice('Max open files'.length).trim().split(/\s+/)[0];
    return soft === undefined || soft === 'unlimited' ? undefined : Number(soft);
  } catch {
    return undefined;
  }
}

/**
 * The connection caps of the ports, lowered in proportion when together
 * they would take more descriptors than the process may open: at the
 * limit, accept() fails with EMFILE on every port alike, /healthz included,
 * where a full port should only refuse its own newcomers. `lowered` tells
 * the caller to say so.
 */
export function fitConnectionCaps<K extends string>(
  caps: Readonly<Record<K, number>>,
  limit: number | undefined,
): { caps: Record<K, number>; lowered: boolean } {
  const entries = Object.entries(caps) as Array<[K, number]>;
  const total = entries.reduce((sum, [, n]) => sum + n, 0);
  const budget = limit === undefined ? Infinity : Math.max(entries.length, limit - RESERVED_DESCRIPTORS);
  if (total <= budget) return { caps: { ...caps }, lowered: false };
  const fitted = Object.fromEntries(entries.map(([k, n]) => [k, Math.max(1, Math.floor((budget * n) / total))])) as Record<K, number>;
  return { caps: fitted, lowered: true };
}
