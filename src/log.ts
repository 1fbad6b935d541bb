import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * Structured logs: one JSON object per line, readable (pino-pretty) when a
 * person watches a terminal. Nothing logs a token, a header or a request:
 * log calls name their fields one by one (tests check that no token gets
 * out), which is also what keeps a line per call cheap.
 */
export function createLogger(level: string): Logger {
  const options: pino.LoggerOptions = { level, base: { service: 'oidc-settings' } };
  if (process.stdout.isTTY) {
    return pino({ ...options, transport: { target: 'pino-pretty', options: { translateTime: 'SYS:standard' } } });
  }
  // Lines are gathered into 4 KiB writes: a write per call line would cost a
  // system call (and a wake-up of the reader) per call. What is gathered goes
  // out at least every 100 ms, and at once where it matters (flushLogs).
  const logger = pino(options, pino.destination({ fd: 1, sync: true, minLength: 4096 }));
  setInterval(() => logger.flush(), 100).unref();
  return logger;
}

/** Writes out buffered lines, then exits: nothing logged just before exit is lost. */
export function flushAndExit(logger: Logger, code: number): void {
  const stream = (logger as unknown as Record<symbol, { sync?: boolean; flushSync?: () => void } | undefined>)[pino.symbols.streamSym];
  if (stream?.sync && stream.flushSync) {
    // Not logger.flush(cb): sonic-boom's flush calls back once less than
    // minLength is left, which would drop the last lines (here "stopped").
    try {
      stream.flushSync();
    } finally {
      process.exit(code);
    }
  }
  logger.flush(() => process.exit(code));
  // A pretty-printing transport runs in a worker; do not wait on it forever.
  setTimeout(() => process.exit(code), 1000).unref();
}
