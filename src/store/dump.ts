import type { StoreDump, StoredInstance, StoredToken } from './port';

/**
 * What both adapters share for dump and restore: the order a dump lists
 * things in (sorted here, not by SQL, whose text order follows the
 * database's collation), and the checks a dump passes before it is written.
 */

const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Instances by id. */
export const instanceOrder = (a: StoredInstance, b: StoredInstance): number => byText(a.id, b.id);

/** Tokens by creation time, then id: the order tokens.list() answers. */
export const tokenOrder = (a: StoredToken, b: StoredToken): number => a.createdAt - b.createdAt || byText(a.id, b.id);

/** A dump that cannot have come from a store: restore refuses it before writing anything. */
export class InvalidDumpError extends Error {
  override readonly name = 'InvalidDumpError';
}

/**
 * Throws InvalidDumpError unless every event and setting belongs to a
 * listed instance and each instance's log runs 1, 2, 3, … without a gap:
 * restore writes events as they are, without the sequence check a commit has.
 */
export function checkDump(dump: StoreDump): void {
  const last = new Map<string, bigint>();
  for (const instance of dump.instances) {
    if (last.has(instance.id)) throw new InvalidDumpError(`instance ${instance.id} is listed twice`);
    last.set(instance.id, 0n);
  }
  for (const event of dump.events) {
    const before = last.get(event.instanceId);
    if (before === undefined) throw new InvalidDumpError(`an event of instance ${event.instanceId}, which is not listed`);
    if (event.sequence !== before + 1n) {
      throw new InvalidDumpError(`the log of instance ${event.instanceId} goes from sequence ${before} to ${event.sequence}`);
    }
    last.set(event.instanceId, event.sequence);
  }
  for (const { instanceId } of dump.settings) {
    if (!last.has(instanceId)) throw new InvalidDumpError(`settings of instance ${instanceId}, which is not listed`);
  }
}
