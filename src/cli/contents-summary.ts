import type { DatabaseContents } from '../store/sqlite/inspect';
import { count } from './command';

/** "136 KiB, 412 events (last sequence 412), 3 tokens": what a backup holds, for one summary line. */
export function contentsSummary(contents: DatabaseContents): string {
  const lasts = contents.instances.map((i) => i.lastSequence);
  const sequences = lasts.length === 0 ? 'no instance' : `last sequence${lasts.length === 1 ? '' : 's'} ${lasts.join(', ')}`;
  const instances = contents.instances.length === 1 ? '' : `${count(contents.instances.length, 'instance')}, `;
  return `${Math.ceil(contents.bytes / 1024)} KiB, ${instances}${count(contents.events, 'event')} (${sequences}), ${count(contents.tokens, 'token')}`;
}
