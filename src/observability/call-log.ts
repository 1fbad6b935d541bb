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

type Annotations = Readonly<Record<string, string>>;

/** The key of calls that carry no annotations (refused before the core saw them). */
const NONE: Annotations = {};

/** Methods kept at most (the gateway logs unknown ones as "unmatched"); past that the memory starts afresh. */
const METHODS_LIMIT = 1024;

/**
 * One JSON log line and the metrics per call. The token's id is logged,
 * never the token nor the authorization header.
 *
 * What is the same for many calls (method, protocol, instance, token id,
 * code) is bound once in a pino child logger, whose fields pino serialises
 * when the child is made; a call line then adds only its duration. The
 * children are found without building a key per call: by method and
 * protocol, then by the annotations object itself, which the dispatcher
 * makes once per token.
 */
export function callObserver(logger: Logger, metrics: Metrics): (record: CallRecord) => void {
  const loggers = new Map<string, Map<string, WeakMap<Annotations, Logger[]>>>();
  const loggerFor = (record: CallRecord): Logger => {
    const annotations = record.annotations ?? NONE;
    let byProtocol = loggers.get(record.method);
    if (!byProtocol) {
      if (loggers.size >= METHODS_LIMIT) loggers.clear();
      loggers.set(record.method, (byProtocol = new Map<string, WeakMap<Annotations, Logger[]>>()));
    }
    let byAnnotations = byProtocol.get(record.protocol);
    if (!byAnnotations) byProtocol.set(record.protocol, (byAnnotations = new WeakMap()));
    let byCode = byAnnotations.get(annotations);
    if (!byCode) byAnnotations.set(annotations, (byCode = []));
    let child = byCode[record.code];
    if (!child) {
      child = logger.child({
        method: record.method,
        protocol: record.protocol,
        instance: annotations['instance'],
        tokenId: annotations['token'],
        code: codeName(record.code),
      });
      byCode[record.code] = child;
    }
    return child;
  };
  return (record) => {
    metrics.callFinished(record.method, record.protocol, record.code, record.durationMs / 1000);
    loggerFor(record).info({ durationMs: Math.round(record.durationMs * 1000) / 1000 }, 'call');
  };
}
