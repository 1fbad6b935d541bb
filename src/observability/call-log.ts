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

/**
 * One JSON log line and the metrics per call. The token's id is logged,
 * never the token nor the authorization header.
 */
export function callObserver(logger: Logger, metrics: Metrics): (record: CallRecord) => void {
  return (record) => {
    metrics.callFinished(record.method, record.protocol, record.code, record.durationMs / 1000);
    logger.info(
      {
        method: record.method,
        protocol: record.protocol,
        code: codeName(record.code),
        durationMs: Math.round(record.durationMs * 1000) / 1000,
        instance: record.annotations?.['instance'],
        tokenId: record.annotations?.['token'],
      },
      'call',
    );
  };
}
