import type { Logger } from '../log';

/**
 * A warning for something a client can make happen many times a second
 * (a connection refused at the cap): logged at once, then at most once per
 * `everyMs` with how many happened meanwhile, so a flood cannot fill the log.
 */
export function refusalWarning(
  logger: Logger,
  message: string,
  fields: Record<string, unknown>,
  everyMs = 10_000,
  /** The field that says how many happened since the last line. */
  countField = 'refused',
): () => void {
  let last = -Infinity;
  let unlogged = 0;
  return () => {
    unlogged++;
    const now = performance.now();
    if (now - last < everyMs) return;
    last = now;
    logger.warn({ ...fields, [countField]: unlogged }, message);
    unlogged = 0;
  };
}
