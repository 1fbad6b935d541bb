import type { Logger } from '../log';
import { type Metrics, codeName } from './metrics';

/** One answered call, whichever way it came in. */
export interface CallRecord {
  /** The gRPC path, or the HTTP path when no method was reached. */
  readonly method: string;
  readonly protocol: string;
  readonly code: number;
  readonly durationMs: number;
  /** Facts the core adds (instance, the acting token's id); never a secret. */
  readonly annotations?: Readonly<Record<string, string>>;
}

/** Loggers kept at most; past that the memory starts afresh. */
const LOGGERS_LIMIT = 1024;

/**
 * One JSON log line and the metrics per call. The token's id is logged,
 * never the token nor the authorization header.
 *
 * What is the same for many calls (method, protocol, instance, token id) is
 * bound once in a pino child logger, whose fields pino serialises when the
 * child is made; a call line then adds only its code and duration.
 */
export function callObserver(logger: Logger, metrics: Metrics): (record: CallRecord) => void {
  const loggers = new Map<string, Logger>();
  const loggerFor = (record: CallRecord): Logger => {
    const instance = record.annotations?.['instance'];
    const tokenId = record.annotations?.['token'];
    const key = `${record.method} ${record.protocol} ${instance} ${tokenId}`;
    let child = loggers.get(key);
    if (!child) {
      if (loggers.size >= LOGGERS_LIMIT) loggers.clear();
      child = logger.child({ method: record.method, protocol: record.protocol, instance, tokenId });
      loggers.set(key, child);
    }
    return child;
  };
  return (record) => {
    metrics.callFinished(record.method, record.protocol, record.code, record.durationMs / 1000);
    loggerFor(record).info({ code: codeName(record.code), durationMs: Math.round(record.durationMs * 1000) / 1000 }, 'call');
  };
}
