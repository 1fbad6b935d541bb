import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * Structured logs: one JSON object per line, readable (pino-pretty) when a
 * person watches a terminal. Tokens and authorization headers are never
 * logged; the redaction is a second line of defence.
 */
export function createLogger(level: string): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service: 'oidc-settings' },
    redact: {
      paths: ['authorization', '*.authorization', '*.metadata.authorization', 'token', 'secret'],
      censor: '[redacted]',
    },
  };
  if (process.stdout.isTTY) {
    return pino({ ...options, transport: { target: 'pino-pretty', options: { translateTime: 'SYS:standard' } } });
  }
  return pino(options, pino.destination({ fd: 1, sync: false }));
}

/** Writes out buffered lines, then exits: nothing logged just before exit is lost. */
export function flushAndExit(logger: Logger, code: number): void {
  logger.flush(() => process.exit(code));
  // A pretty-printing transport runs in a worker; do not wait on it forever.
  setTimeout(() => process.exit(code), 1000).unref();
}
